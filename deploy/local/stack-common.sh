# What stack.sh and cluster/cluster.sh share (sourced, not run, after the caller has set root): where
# tools, state, pids, logs and data live, and how a recorded server is stopped. Each caller defines
# say MESSAGE, pid_of NAME and alive NAME for its own pid files.

# Tools in a per-user cache, so a fresh clone (CI's included) reuses them; state inside the clone.
TOOLS_DIR="${DAYBREAK_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/daybreak/tools}"
STATE_DIR="${DAYBREAK_STATE_DIR:-$root/.daybreak}"
RUN_DIR="$STATE_DIR/run"
LOG_DIR="$STATE_DIR/logs"
DATA_DIR="$STATE_DIR/data"
TIMEOUT="${DAYBREAK_STACK_TIMEOUT:-180}"

# Stops the recorded process NAME: SIGNAL to its process group (the servers fork helpers), a wait of
# up to 30 s, then SIGKILL, so `down` never leaves a server holding its port.
stop_recorded() {
  local name=$1 signal=$2 pid i
  if ! alive "$name"; then
    say "$name: not running"
    return 0
  fi
  pid=$(pid_of "$name")
  say "$name: stopping pid $pid"
  kill "-$signal" -- "-$pid" 2>/dev/null || kill "-$signal" "$pid" 2>/dev/null || true
  for i in $(seq 1 60); do alive "$name" || break; sleep 0.5; done
  if alive "$name"; then
    say "$name: did not stop within 30s; killing"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
}
