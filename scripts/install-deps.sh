#!/usr/bin/env bash
# Installs every build and test dependency from Debian's packages.
# Safe to run repeatedly: apt-get skips what is already installed.
set -euo pipefail

packages=(
  build-essential cmake pkg-config make
  libyaml-cpp-dev libinih-dev libspdlog-dev libfmt-dev
  libgtest-dev googletest
  unzip netcat-openbsd procps
)

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all dependencies present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
