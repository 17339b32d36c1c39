#!/usr/bin/env bash
# The project's test command (`npm test`), also what CI runs: installs what is missing, starts the
# local stack, runs lint, the type check, the workflow bundle build and every test, then the production
# tests against the cluster profile (scripts/test-cluster.sh), and stops the stack afterwards, even
# when a step fails, if this script was the one that started it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash scripts/ensure-deps.sh

started_here=0
if ! bash deploy/local/stack.sh status >/dev/null 2>&1; then started_here=1; fi
cleanup() {
  if [ "$started_here" = 1 ]; then bash deploy/local/stack.sh down; fi
}
trap cleanup EXIT
bash deploy/local/stack.sh up

echo "[test] lint"
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }
echo "[test] type check"
npx tsc -p tsconfig.json --noEmit
echo "[test] workflow bundle (fails on any sandbox-unsafe import, transitive ones included)"
npx tsx scripts/build-workflow-bundle.ts
echo "[test] vitest (unit, replay, integration)"
npx vitest run "$@"
# The production tests again, on the Temporal server itself (not when vitest was given files or filters).
if [ $# -eq 0 ]; then
  echo "[test] the production tests against the cluster profile (scripts/test-cluster.sh)"
  bash scripts/test-cluster.sh
fi
