#!/usr/bin/env bash
# Runs shellcheck over every shell script of the repository that git knows of (tracked, or
# new and not ignored): the files named *.sh and those whose first line starts a shell
# (#!/bin/sh, #!/usr/bin/env bash, ...). Settings: .shellcheckrc. Exits with shellcheck's
# status: 0 when every script is clean.
# Usage: scripts/shellcheck.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v shellcheck > /dev/null; then
  echo "shellcheck.sh: the shellcheck command is missing (make setup installs it)" >&2
  exit 1
fi

scripts=()
while IFS= read -r -d '' file; do
  [ -f "$file" ] || continue  # deleted from the working tree, not yet from git
  first_line=""
  IFS= read -r first_line < "$file" || true
  if [[ $file == *.sh || $first_line =~ ^'#!'.*[/[:space:]](ba|da)?sh([[:space:]]|$) ]]; then
    scripts+=("$file")
  fi
done < <(git ls-files -z --cached --others --exclude-standard)

echo "shellcheck.sh: $(shellcheck --version | sed -n 's/^version: //p'), ${#scripts[@]} scripts"
shellcheck "${scripts[@]}"
