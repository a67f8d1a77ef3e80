#!/usr/bin/env bash
# Best effort: Fashion-MNIST ships as the Debian package dataset-fashion-mnist (no download at run time).
# Without it the Fashion-MNIST loader raises an error that says how to install it.
set -u
dir=/usr/share/datasets/fashion-mnist
[ -f "$dir/t10k-images-idx3-ubyte.gz" ] && exit 0
if command -v apt-get >/dev/null 2>&1; then
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo -n"
  echo "installing the Debian package dataset-fashion-mnist (Fashion-MNIST data)"
  $sudo_cmd apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1 \
    || { $sudo_cmd apt-get update -q >/dev/null 2>&1 && $sudo_cmd apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1; } \
    || echo "note: could not install dataset-fashion-mnist; Fashion-MNIST commands will say how to get it"
fi
exit 0
