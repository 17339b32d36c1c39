#!/usr/bin/env bash
# The main job (`npm start`): installs what is missing, starts the local stack and runs the Daybreak
# demo (`daybreak demo`, workers in-process) on generated data. The stack stays up so the Web UI can
# be browsed afterwards; `npm run stack:down` stops it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source deploy/local/stack.env

bash scripts/ensure-deps.sh
bash deploy/local/stack.sh up

# The demo's tenants (acme, ...) would otherwise take the ids of real tenants' lanes in the
# operator's namespace: it runs in a namespace of its own, created (with the search attributes) if missing.
demo_namespace="${DAYBREAK_DEMO_NAMESPACE:-daybreak-demo}"
DAYBREAK_TEMPORAL_NAMESPACE="$demo_namespace" bin/daybreak demo "$@"

echo
echo "[demo] the demo ran in namespace $demo_namespace: http://127.0.0.1:$DAYBREAK_TEMPORAL_UI_PORT/namespaces/$demo_namespace/workflows"
echo "[demo] the stack is still running; stop it with: npm run stack:down"
