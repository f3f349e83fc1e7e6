#!/usr/bin/env bash
# Makes `docker compose` (Compose v2, the command the course's suites and graders use)
# available as a Docker CLI plug-in. Debian 12 packages only the old `docker-compose` v1,
# whose `logs -f` and `up -d` behave differently, so v2 is built once from its Go module
# at a pinned version that speaks this engine's API (1.41). Where `docker compose`
# already works, nothing is built.
set -euo pipefail

compose_version=v2.28.1
plugin_dir="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"

if ! command -v docker > /dev/null; then
  echo "install-compose: the docker command is missing; install Docker Engine first" >&2
  exit 1
fi
if docker compose version >/dev/null 2>&1; then
  echo "install-compose: $(docker compose version)"
  exit 0
fi

go_tool=$(command -v go || true)
[ -n "$go_tool" ] || [ ! -x /usr/local/go/bin/go ] || go_tool=/usr/local/go/bin/go
if [ -z "$go_tool" ]; then
  echo "install-compose: building Compose $compose_version needs Go 1.21 or later on PATH" >&2
  exit 1
fi

build_dir=$(mktemp -d)
trap 'rm -rf "$build_dir"' EXIT
echo "install-compose: building Compose $compose_version with $("$go_tool" version) (a few minutes, once)"
# -mod=mod: the module's go.sum is resolved as a dependency, not as the main module.
GOFLAGS=-mod=mod GOBIN="$build_dir" "$go_tool" install \
  -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$compose_version" \
  "github.com/docker/compose/v2/cmd@$compose_version"
mkdir -p "$plugin_dir"
install -m 0755 "$build_dir/cmd" "$plugin_dir/docker-compose"
echo "install-compose: $(docker compose version)"
