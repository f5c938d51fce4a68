#!/usr/bin/env bash
# The browser test drives Debian's Chromium through playwright-core (never a downloaded browser).
# Installs it when missing and this machine can (root with apt-get).
set -euo pipefail
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$CHROMIUM" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "chromium: installing Debian's chromium for the browser test"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "chromium: $CHROMIUM is missing; install Debian's chromium package (or set CHROMIUM_PATH)" >&2
  exit 1
fi
