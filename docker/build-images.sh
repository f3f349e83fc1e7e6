#!/usr/bin/env bash
# Builds server:latest, client:latest and the netcat image validar-echo-server.sh uses,
# first making sure the base images they start from are in the local engine.
#
# The Dockerfiles start from a pinned public Debian image. If it is not here, it is pulled;
# where no registry answers (an engine that can pull nothing), an image of that name is made
# from Debian's packages with debootstrap and `docker import`. This happens once: an image
# already present is reused. If containers cannot reach Debian's mirror either, the build
# dependencies and netcat are put into images made the same way, on the host, instead of
# being installed during `docker build`.
#
# Usage: docker/build-images.sh [base|all]    (base: only make sure the base images exist)
# Environment: TP0_DEBIAN_MIRROR (default http://deb.debian.org/debian),
#              TP0_DOCKER_OFFLINE=1 to take the no-mirror path without probing.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mirror=${TP0_DEBIAN_MIRROR:-http://deb.debian.org/debian}
netcat_image=tp0-netcat:latest
toolchain_image=tp0-toolchain:latest

log() { echo "build-images: $*" >&2; }

# The Dockerfiles differ only in their PROGRAM, so either one tells.
pinned_base_image() {
  local image
  image=$(sed -n 's/^ARG DEBIAN_IMAGE=//p' "$root/server/Dockerfile")
  [ -n "$image" ] || { log "server/Dockerfile pins no DEBIAN_IMAGE"; exit 1; }
  echo "$image"
}

have_image() { docker image inspect "$1" > /dev/null 2>&1; }

# Makes image `tag` from Debian `suite` (minimal variant) plus `packages`, by debootstrap.
bootstrap_image() {
  local tag=$1 suite=$2 packages=$3
  command -v debootstrap > /dev/null || { log "debootstrap is missing (make docker-image installs it)"; exit 1; }
  local rootfs
  rootfs=$(mktemp -d /tmp/tp0-rootfs-XXXXXX)
  # shellcheck disable=SC2064  # the path is fixed now, on purpose
  trap "rm -rf '$rootfs' '$rootfs.tar'" RETURN
  log "making $tag from Debian $suite${packages:+ with $packages} (debootstrap, $mirror)"
  debootstrap --variant=minbase ${packages:+--include="${packages// /,}"} \
    "$suite" "$rootfs" "$mirror" > "$rootfs.log" 2>&1 || {
    tail -20 "$rootfs.log" >&2
    rm -f "$rootfs.log"
    log "debootstrap failed"
    exit 1
  }
  rm -f "$rootfs.log"
  # What a slim image leaves out: package lists, caches, documentation.
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
    "$rootfs"/usr/share/locale/*
  # Through a file, so that a failed archive never becomes an image.
  tar --numeric-owner -C "$rootfs" -cf "$rootfs.tar" .
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    --message "debootstrap $suite from $mirror" "$rootfs.tar" "$tag" > /dev/null
}

ensure_base_image() {
  local tag=$1 suite=$2
  if have_image "$tag"; then return; fi
  if timeout 120 docker pull --quiet "$tag" > /dev/null 2>&1; then
    log "pulled $tag"
    return
  fi
  bootstrap_image "$tag" "$suite" ""
}

# The netcat image runs as an unprivileged user (netcat.Dockerfile says so); one made by
# debootstrap, or before it did, gets that user in a layer of its own.
readonly kNetcatUser=10001:10001
ensure_netcat_user() {
  [ "$(docker image inspect -f '{{.Config.User}}' "$netcat_image")" != "$kNetcatUser" ] || return 0
  printf 'FROM %s\nUSER %s\n' "$netcat_image" "$kNetcatUser" |
    docker build --quiet -t "$netcat_image" - > /dev/null
}

mirror_reachable_from_containers() {
  timeout 60 docker run --rm "$1" apt-get -qq update > /dev/null 2>&1
}

main() {
  local what=${1:-all}
  case $what in base | all) ;; *) log "usage: $0 [base|all]"; exit 2 ;; esac

  local base suite
  base=$(pinned_base_image)
  suite=${base#*:}       # debian:bookworm-20250520-slim -> bookworm
  suite=${suite%%-*}
  ensure_base_image "$base" "$suite"

  # The mirror is probed only while the netcat image is still to be made; after that, the
  # presence of the toolchain image records which path was taken.
  local offline=false
  if [ "${TP0_DOCKER_OFFLINE:-0}" = 1 ] || have_image "$toolchain_image"; then
    offline=true
  elif ! have_image "$netcat_image" && ! mirror_reachable_from_containers "$base"; then
    offline=true
  fi

  local build_args=()
  if $offline; then
    log "containers cannot reach Debian's mirror: using images made on the host"
    have_image "$netcat_image" || bootstrap_image "$netcat_image" "$suite" netcat-openbsd
    have_image "$toolchain_image" ||
      bootstrap_image "$toolchain_image" "$suite" "$(bash "$root/scripts/install-deps.sh" --list build)"
    build_args=(--build-arg TOOLCHAIN_IMAGE="$toolchain_image")
  elif ! have_image "$netcat_image"; then
    docker build --quiet --build-arg DEBIAN_IMAGE="$base" -t "$netcat_image" \
      -f "$root/docker/netcat.Dockerfile" "$root/docker" > /dev/null
  fi
  ensure_netcat_user
  [ "$what" = all ] || return 0

  for program in server client; do
    log "building $program:latest"
    docker build "${build_args[@]}" -f "$root/$program/Dockerfile" -t "$program:latest" "$root"
  done
}

main "$@"
