#!/usr/bin/env bash
# Lays out every C++ file that git knows of (tracked, or new and not ignored: *.cc and *.h)
# with clang-format and the checked-in .clang-format, in place. With --check it changes
# nothing and fails where a file differs from that layout, naming each such file and the
# first line that differs (`make check` and CI run it so).
# Usage: scripts/format.sh [--check]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

check=false
case ${1:-} in
  '') ;;
  --check) check=true ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac
if ! command -v clang-format > /dev/null; then
  echo "format.sh: the clang-format command is missing (make setup installs it)" >&2
  exit 1
fi

files=()
while IFS= read -r -d '' file; do
  [ -f "$file" ] && files+=("$file")  # skips one deleted from the working tree, not yet from git
done < <(git ls-files -z --cached --others --exclude-standard -- '*.cc' '*.h')

# Another version of clang-format may lay out a few constructs otherwise: the line names it.
echo "format.sh: $(clang-format --version | sed 's/.*version \([^ ]*\).*/clang-format \1/'), ${#files[@]} files"
if $check; then
  if ! printf '%s\0' "${files[@]}" | xargs -0 -P "$(nproc)" -n 1 clang-format --dry-run --Werror --ferror-limit=1; then
    echo "format.sh: the files above differ from .clang-format; make format lays them out" >&2
    exit 1
  fi
else
  printf '%s\0' "${files[@]}" | xargs -0 -P "$(nproc)" -n 16 clang-format -i
fi
