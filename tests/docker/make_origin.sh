#!/usr/bin/env bash
# Makes <dir>, a git repository whose main is this checkout as it stands (uncommitted and
# untracked-but-not-ignored files included), and runs `make exercise-branches` in it: the
# branches ej1 ... ej8 that the Docker checks clone, as the course's suite clones a student's
# repository. Usage: tests/docker/make_origin.sh <dir>   (<dir> must not exist)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
origin=$1
[ ! -e "$origin" ] || { echo "$0: $origin already exists" >&2; exit 1; }

git clone --quiet "$repo" "$origin"
git -C "$origin" checkout --quiet -B main
# The working tree replaces the clone's: files deleted here are deleted there too.
git -C "$origin" rm -r --quiet .
(cd "$repo" && git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' file; do [ ! -e "$file" ] || printf '%s\0' "$file"; done |
  tar --null --files-from=- -cf -) | tar -C "$origin" -xf -
git -C "$origin" add --all
identity=(-c user.email=tp0@localhost -c user.name=tp0)
git -C "$origin" diff --cached --quiet || git -C "$origin" "${identity[@]}" commit --quiet -m "the working tree"
make -C "$origin" --no-print-directory exercise-branches > /dev/null
