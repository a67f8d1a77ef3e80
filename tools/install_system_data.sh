#!/usr/bin/env bash
# Best effort, from the Debian packages (no download at run time), each piece independent:
# - Fashion-MNIST ships as dataset-fashion-mnist; without it the Fashion-MNIST loader raises an error that
#   says how to install it.
# - Chromium (headless) renders and screenshots the HTML reports in the report tests; without it
#   fpgasnn.report.browser raises an error that says how to install it (and CI fails those tests).
set -u
sudo_cmd=""
[ "$(id -u)" = 0 ] || sudo_cmd="sudo -n"
updated=0

apt_install() {  # apt_install PACKAGE WHAT
  command -v apt-get >/dev/null 2>&1 || { echo "note: no apt-get; install $1 ($2) by hand"; return 0; }
  echo "installing the Debian package $1 ($2)"
  $sudo_cmd apt-get install -y -q "$1" >/dev/null 2>&1 && return 0
  if [ "$updated" = 0 ]; then
    updated=1
    $sudo_cmd apt-get update -q >/dev/null 2>&1 && $sudo_cmd apt-get install -y -q "$1" >/dev/null 2>&1 && return 0
  fi
  echo "note: could not install $1; commands that need it will say how to get it"
}

[ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] \
  || apt_install dataset-fashion-mnist "Fashion-MNIST data"
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
  || apt_install chromium "headless browser for the report tests"
exit 0
