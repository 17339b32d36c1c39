#!/usr/bin/env bash
# The integration tests that matter for production, against the local stack's cluster profile (the
# Temporal server with separate frontend, history, matching and worker processes, PostgreSQL and
# Elasticsearch visibility) instead of the dev server: a tenant-day end to end, a worker SIGKILLed
# mid-run, 20 concurrent requests on a lane, the rollout story and the README's `temporal` recipes.
# `npm run test:cluster`; scripts/test.sh runs it after the main suite. Brings the cluster up and
# stops what it started (the cluster; S3 and Elasticsearch too if they were not running), pass or fail.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=../deploy/local/stack.env
source deploy/local/stack.env
# shellcheck source=../deploy/local/cluster/cluster.env
source deploy/local/cluster/cluster.env

TESTS=(
  test/integration/tenant-day.test.ts
  test/integration/worker-loss.test.ts
  test/integration/lane.test.ts
  test/integration/rollout-demo.test.ts
  test/integration/temporal-cli.test.ts
)

serving() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" != "000" ]; }
cluster_here=0
shared_here=0
bash deploy/local/stack.sh status --profile cluster >/dev/null 2>&1 || cluster_here=1
if ! serving "http://127.0.0.1:$DAYBREAK_S3_PORT/" || ! serving "http://127.0.0.1:$DAYBREAK_ES_PORT/"; then shared_here=1; fi
cleanup() {
  if [ "$cluster_here" = 1 ]; then bash deploy/local/stack.sh down --profile cluster; fi
  if [ "$shared_here" = 1 ]; then bash deploy/local/stack.sh down; fi
}
trap cleanup EXIT

start=$(date +%s)
bash deploy/local/stack.sh up --profile cluster
echo "[test:cluster] cluster up in $(($(date +%s) - start))s; integration tests against 127.0.0.1:$DAYBREAK_CLUSTER_PORT"
DAYBREAK_TEMPORAL_ADDRESS="127.0.0.1:$DAYBREAK_CLUSTER_PORT" DAYBREAK_TEMPORAL_PORT="$DAYBREAK_CLUSTER_PORT" \
  npx vitest run --project integration "${TESTS[@]}" "$@"
echo "[test:cluster] passed in $(($(date +%s) - start))s"
