#!/usr/bin/env bash
# npm run start:dev: services up if needed, migrations, then API + worker in
# watch mode (scripts/run-all.mjs --watch): a change to an app or to any lib it
# uses recompiles it and restarts it. Builds into dist/dev/, so the built apps
# in dist/apps (npm start, the tests) are left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/use-node.sh
# A fresh clone: install the dependencies on that Node first.
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/services.sh
node node_modules/@nestjs/cli/bin/nest.js build cli --path apps/cli/tsconfig.dev.json
node scripts/ensure-database.mjs
node dist/dev/cli/apps/cli/src/main.js migration:run
exec node scripts/run-all.mjs --watch "$@"
