#!/usr/bin/env bash
# Runs Docker Compose on one compose file: `docker compose` where the Docker CLI has it,
# otherwise the standalone docker-compose (v1). v1 refuses the top-level `name:` key of the
# generated files, so it gets the file without that line and the name as its project name;
# paths in the file stay relative to the file's folder either way.
# Usage: docker/compose.sh -f <compose-file> <command> [arguments...]
set -euo pipefail

if [ "${1:-}" != -f ] || [ $# -lt 3 ]; then
  echo "usage: $0 -f <compose-file> <command> [arguments...]" >&2
  exit 2
fi
file=$2
shift 2

if docker compose version > /dev/null 2>&1; then
  exec docker compose -f "$file" "$@"
fi
if ! command -v docker-compose > /dev/null; then
  echo "$0: neither 'docker compose' nor 'docker-compose' is installed" >&2
  exit 1
fi
[ -r "$file" ] || { echo "$0: cannot read compose file '$file'" >&2; exit 1; }
project=$(sed -n 's/^name:[[:space:]]*//p' "$file" | tr -d "\"'[:space:]")
contents=$(sed '/^name:/d' "$file")
# A file read from stdin has its relative paths resolved against the working directory.
cd "$(dirname "$file")"
exec docker-compose ${project:+--project-name "$project"} --project-directory . -f - "$@" <<< "$contents"
