#!/usr/bin/env bash
# Installs what the project needs from Debian's packages, by profile. Safe to run
# repeatedly: what is already installed is skipped, and nothing is fetched when everything
# is there.
# Usage: scripts/install-deps.sh [PROFILE...]          (default: all)
#        scripts/install-deps.sh --list PROFILE...   prints the profiles' packages instead
#   build   compiling the programs (make build, and the Docker images' build stage)
#   data    make data: unzip, for the course's dataset.zip
#   host    the native tests and tools: GoogleTest, valgrind, clang, clang-tidy 22,
#           clang-format, perf, gnuplot, shellcheck
#   docker  the Docker targets and tests: Compose v2 (scripts/install-compose.sh, which
#           stops in one line where the docker command is missing) and debootstrap, which
#           makes the base images where no registry answers
#   all     every profile
set -euo pipefail

build_packages=(g++ make cmake pkg-config libyaml-cpp-dev libinih-dev libspdlog-dev libfmt-dev libssl-dev openssl)
data_packages=(unzip)
host_packages=(libgtest-dev googletest netcat-openbsd procps openssl tcpdump
  clang libclang-rt-14-dev clang-tidy-22 clang-format valgrind gnuplot-nox linux-perf shellcheck)
docker_packages=(debootstrap)

list=false
if [ "${1:-}" = --list ]; then
  list=true
  shift
fi
[ $# -gt 0 ] || set -- all

packages=()
needs_compose=false
for profile in "$@"; do
  case $profile in
    build) packages+=("${build_packages[@]}") ;;
    data) packages+=("${data_packages[@]}") ;;
    host) packages+=("${host_packages[@]}") ;;
    docker) packages+=("${docker_packages[@]}"); needs_compose=true ;;
    all)
      packages+=("${build_packages[@]}" "${data_packages[@]}" "${host_packages[@]}" "${docker_packages[@]}")
      needs_compose=true
      ;;
    *) echo "install-deps: unknown profile '$profile' (build, data, host, docker or all)" >&2; exit 2 ;;
  esac
done

if $list; then
  echo "${packages[*]}"
  exit 0
fi

# First, so that a machine without Docker is told so before anything is installed.
if $needs_compose; then
  bash "$(dirname "${BASH_SOURCE[0]}")/install-compose.sh"
fi

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = 'install ok installed' ] || missing+=("$pkg")
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
