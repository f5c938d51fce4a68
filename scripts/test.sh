#!/usr/bin/env bash
# npm test: services up if needed, build the apps (e2e and fault tests run the
# built output as real processes), then every test tier.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
bash scripts/ensure-chromium.sh
bash scripts/ensure-promtool.sh
npm run build --silent
exec node --experimental-vm-modules --no-warnings=ExperimentalWarning node_modules/jest/bin/jest.js "$@"
