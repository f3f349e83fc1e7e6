#!/bin/sh
# Copies into <dest> the shared libraries <binary> loads that the runtime image lacks, so
# that image holds the binary and what it needs to run, and nothing more.
# Usage: bundle-libs.sh <binary> <runtime-libraries> <dest>
#   <runtime-libraries>: the sonames the runtime image already has, one per line
#   (`ldconfig -p` run in that image).
set -eu

binary=$1
runtime_libraries=$2
dest=$3

mkdir -p "$dest"
ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' |
  while read -r soname path; do
    if ! grep -qxF "$soname" "$runtime_libraries"; then
      cp -L "$path" "$dest/$soname"
      echo "bundle-libs: $soname"
    fi
  done
