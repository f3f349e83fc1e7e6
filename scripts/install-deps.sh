#!/usr/bin/env bash
# Installs dependencies from Debian's packages. Safe to run repeatedly: what is already
# installed is skipped, and nothing is fetched when everything is there.
# Usage: scripts/install-deps.sh [all|build|--list build]
#   all    (default) building, testing, and the Docker tooling of the host, Compose v2
#          included (scripts/install-compose.sh)
#   build  only what compiling the programs needs (the Docker images' build stage)
#   --list PROFILE  prints the profile's packages instead of installing them
set -euo pipefail

build_packages=(g++ make cmake pkg-config libyaml-cpp-dev libinih-dev libspdlog-dev libfmt-dev)
host_packages=(libgtest-dev googletest unzip netcat-openbsd procps debootstrap
  clang libclang-rt-14-dev clang-tidy valgrind gnuplot-nox linux-perf)

packages_of() {
  case $1 in
    build) echo "${build_packages[@]}" ;;
    all) echo "${build_packages[@]}" "${host_packages[@]}" ;;
    *) echo "install-deps: unknown profile '$1' (all or build)" >&2; exit 2 ;;
  esac
}

if [ "${1:-}" = --list ]; then
  packages_of "${2:-all}"
  exit 0
fi

profile=${1:-all}
read -r -a packages <<< "$(packages_of "$profile")"
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all Debian packages present"
else
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "$profile" = all ]; then
  bash "$(dirname "${BASH_SOURCE[0]}")/install-compose.sh"
fi
