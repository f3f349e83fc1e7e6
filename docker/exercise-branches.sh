#!/usr/bin/env bash
# Creates, or refreshes, the local branches ej1 ... ej8: each is one commit on top of the
# base branch (default main) that pins its exercise in docker/exercise and regenerates
# docker-compose-dev.yaml for it. Nothing else differs from the base, so a fix on main
# reaches every exercise by running this again.
# Usage: docker/exercise-branches.sh [base-branch]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
base=${1:-main}
cd "$root"

if ! git rev-parse --verify --quiet "$base^{commit}" > /dev/null; then
  echo "$0: no branch or commit '$base' to start from" >&2
  exit 1
fi
current=$(git symbolic-ref --quiet --short HEAD || true)
if [[ $current =~ ^ej[1-8]$ ]]; then
  echo "$0: branch $current is checked out; switch to another one first" >&2
  exit 1
fi

# The commits are made in a scratch worktree, leaving this one untouched.
scratch=$(mktemp -d /tmp/tp0-exercises-XXXXXX)
cleanup() {
  git worktree remove --force "$scratch" 2> /dev/null || rm -rf "$scratch"
  git worktree prune
}
trap cleanup EXIT
git worktree add --quiet --detach "$scratch" "$base"

# A machine without a git identity can still make the commits.
identity=()
git config user.email > /dev/null || identity+=(-c user.email=tp0@localhost)
git config user.name > /dev/null || identity+=(-c user.name=tp0)

clients=$(grep -c '^  client[0-9]*:$' docker-compose-dev.yaml || true)
for exercise in 1 2 3 4 5 6 7 8; do
  git -C "$scratch" checkout --quiet --detach "$base"
  sed -i "s/^[1-8]$/$exercise/" "$scratch/docker/exercise"
  (cd "$scratch" && env -u TP0_EXERCISE ./generar-compose.sh docker-compose-dev.yaml "$clients")
  git -C "$scratch" add docker/exercise docker-compose-dev.yaml
  git -C "$scratch" "${identity[@]}" commit --quiet --allow-empty -m "ej$exercise: pin exercise $exercise"
  git branch --force "ej$exercise" "$(git -C "$scratch" rev-parse HEAD)" > /dev/null
  echo "exercise-branches: ej$exercise -> $(git rev-parse --short "ej$exercise")"
done
