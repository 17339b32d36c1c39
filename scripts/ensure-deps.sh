#!/usr/bin/env bash
# Installs node_modules from package-lock.json when they are missing or stale (a fresh clone, or a
# pull that changed the lock file). Reuses them otherwise.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
stamp=node_modules/.daybreak-lock.sha256
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "[deps] node_modules up to date"
else
  echo "[deps] npm ci (package-lock.json changed or node_modules missing)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
fi
