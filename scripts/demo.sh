#!/usr/bin/env bash
# The main job (`npm start`): installs what is missing, starts the local stack, runs a worker and
# drives Daybreak end to end, then stops the worker. The stack stays up so the Web UI can be browsed;
# `npm run stack:down` stops it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source deploy/local/stack.env

bash scripts/ensure-deps.sh
bash deploy/local/stack.sh up

mkdir -p .daybreak/logs
echo "[demo] starting a worker (log .daybreak/logs/demo-worker.log)"
npx tsx src/workers/main.ts >>.daybreak/logs/demo-worker.log 2>&1 &
worker=$!
trap 'kill "$worker" 2>/dev/null || true; wait "$worker" 2>/dev/null || true' EXIT

bin/daybreak skeleton --tenant demo --day "${DAYBREAK_DEMO_DAY:-2026-11-21}" "$@"

echo
echo "[demo] Web UI: http://127.0.0.1:$DAYBREAK_TEMPORAL_UI_PORT/namespaces/$DAYBREAK_TEMPORAL_NAMESPACE/workflows"
echo "[demo] or: $(bash deploy/local/stack.sh temporal-path) workflow list --address 127.0.0.1:$DAYBREAK_TEMPORAL_PORT --query 'TenantId=\"demo\"'"
echo "[demo] the stack is still running; stop it with: npm run stack:down"
