#!/usr/bin/env bash
# npm test: services up if needed, build the apps (e2e and fault tests run the
# built output as real processes), then every test tier.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/use-node.sh
# A fresh clone: install the dependencies on that Node first.
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/services.sh
bash scripts/ensure-chromium.sh
bash scripts/ensure-promtool.sh
npm run build --silent
# Jest's native ESM needs vm.SourceTextModule, still behind --experimental-vm-modules in Node 24; the
# flag's ExperimentalWarning on every run says nothing new.
exec node --experimental-vm-modules --no-warnings=ExperimentalWarning node_modules/jest/bin/jest.js "$@"
