#!/usr/bin/env bash
# npm start: services up if needed, build, migrations, then API + worker together.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
npm run build --silent
node scripts/ensure-database.mjs
node dist/apps/cli/apps/cli/src/main.js migration:run
exec node scripts/run-all.mjs
