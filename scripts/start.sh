#!/usr/bin/env bash
# npm start: services up if needed, build, migrations, then API + worker together.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/use-node.sh
# A fresh clone: install the dependencies on that Node first.
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/services.sh
npm run build --silent
node scripts/ensure-database.mjs
node dist/apps/cli/apps/cli/src/main.js migration:run
exec node scripts/run-all.mjs
