#!/usr/bin/env bash
# Installs node_modules from package-lock.json when they are missing or stale (a fresh clone, or a
# pull that changed the lock file). Reuses them otherwise.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
stamp=node_modules/.daybreak-lock.sha256
want="$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "[deps] node_modules up to date"
else
  # `npm install`, not `npm ci`: npm 11 on this machine kind leaves other platforms' optional
  # packages (@swc/core-darwin-*, ...) out of the lock file, and `npm ci` then refuses it as out of
  # sync. With the lock file present, `npm install` installs exactly its versions.
  echo "[deps] npm install (node_modules missing or package files changed)"
  npm install --no-audit --no-fund --loglevel=error
  cat package.json package-lock.json | sha256sum | cut -d' ' -f1 >"$stamp"
fi
