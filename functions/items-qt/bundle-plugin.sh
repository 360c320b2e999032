#!/bin/sh
# bundle-plugin.sh PLUGIN OUT: copy a Qt SQL driver plugin into OUT/plugins/sqldrivers and the
# shared libraries it needs (and the bundle lacks) into OUT/lib.
set -eu
plugin=$1 out=$2
mkdir -p "$out/plugins/sqldrivers" "$out/lib"
cp -L "$plugin" "$out/plugins/sqldrivers/"
ldd "$plugin" | awk '/=> \// { print $3 }' | while read -r lib; do
  name=$(basename "$lib")
  [ -e "$out/lib/$name" ] || cp -L "$lib" "$out/lib/$name"
done
