#!/usr/bin/env bash
# The monitoring test checks deploy/prometheus/ with promtool (Debian package `prometheus`, never a download).
# Installs it when missing and this machine can (root with apt-get).
set -euo pipefail
PROMTOOL="${PROMTOOL_PATH:-/usr/bin/promtool}"
[ -x "$PROMTOOL" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "promtool: installing Debian's prometheus package for the monitoring test"
  apt-get update -qq >/dev/null
  # Without recommends: no node exporter; the server itself is not started (only promtool is used).
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
else
  echo "promtool: $PROMTOOL is missing; install Debian's prometheus package (or set PROMTOOL_PATH)" >&2
  exit 1
fi
