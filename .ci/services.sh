#!/usr/bin/env bash
# The SPARQL stores the push tests run against, on 127.0.0.1 only:
#   Oxigraph  (PyPI `oxigraph`, into .venv)            http://127.0.0.1:7878  (/store, /query)
#   Virtuoso 7 (Debian `virtuoso-opensource-7-bin`)    http://127.0.0.1:8890  (/sparql-graph-crud-auth,
#                                                      /sparql; user dba, password dba)
#
#   bash .ci/services.sh install   install both (Virtuoso only as root with apt-get)
#   bash .ci/services.sh start     install, start both, wait until both answer
#   bash .ci/services.sh stop      stop both (by pid) and remove their data
#   bash .ci/services.sh status
#
# Data, logs and pid files live in $KG_SERVICES_DIR (default: a folder under /tmp), never in
# the work tree. Ports: $OXIGRAPH_PORT (7878), $VIRTUOSO_HTTP_PORT (8890), $VIRTUOSO_SQL_PORT
# (1111). A store that cannot be installed (no root, no apt) is reported and skipped; the tests
# then skip with that reason locally, and fail under CI=true.
set -uo pipefail
cd "$(dirname "$0")/.."

STATE="${KG_SERVICES_DIR:-/tmp/kg-services-$(id -u)}"
OXIGRAPH_PORT="${OXIGRAPH_PORT:-7878}"
VIRTUOSO_HTTP_PORT="${VIRTUOSO_HTTP_PORT:-8890}"
VIRTUOSO_SQL_PORT="${VIRTUOSO_SQL_PORT:-1111}"
PY=.venv/bin/python
[ -x "$PY" ] || PY=python3
WAIT_SECONDS=180

say() { echo "services: $*" >&2; }

install_oxigraph() {
  if [ -x .venv/bin/oxigraph ] || command -v oxigraph >/dev/null; then return 0; fi
  if [ ! -x .venv/bin/pip ]; then say "no .venv: create it first (python3 -m venv .venv)"; return 1; fi
  say "installing oxigraph (PyPI) into .venv"
  .venv/bin/pip install -q oxigraph
}

install_virtuoso() {
  if command -v virtuoso-t >/dev/null; then return 0; fi
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    say "virtuoso-t is not installed and this is not root with apt-get: skipping Virtuoso"
    return 1
  fi
  say "installing virtuoso-opensource-7-bin (Debian)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    virtuoso-opensource-7-bin >/dev/null
}

oxigraph_bin() {
  if [ -x .venv/bin/oxigraph ]; then echo .venv/bin/oxigraph; else command -v oxigraph; fi
}

running() {  # running NAME: the pid file names a live process
  local pid
  [ -f "$STATE/$1.pid" ] && pid="$(cat "$STATE/$1.pid")" && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

answers() {  # answers URL: a SPARQL ASK over GET gets a 200
  "$PY" - "$1" <<'EOF' >/dev/null 2>&1
import sys, urllib.parse, urllib.request
url = sys.argv[1] + "?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"})
req = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
with urllib.request.urlopen(req, timeout=5) as resp:
    sys.exit(0 if resp.status == 200 else 1)
EOF
}

port_taken() {
  "$PY" - "$1" <<'EOF' >/dev/null 2>&1
import socket, sys
s = socket.socket()
s.settimeout(1)
sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)
EOF
}

start_oxigraph() {
  if running oxigraph; then say "oxigraph already running (pid $(cat "$STATE/oxigraph.pid"))"; return 0; fi
  if port_taken "$OXIGRAPH_PORT"; then
    say "port $OXIGRAPH_PORT is taken by another program: not starting oxigraph"; return 1
  fi
  local bin data
  bin="$(oxigraph_bin)" || { say "oxigraph is not installed"; return 1; }
  data="$STATE/oxigraph"
  rm -rf "$data" && mkdir -p "$data"
  # --union-default-graph: `kg sparql --endpoint` sees every note's graph, as Virtuoso does
  setsid "$bin" serve --location "$data/db" --bind "127.0.0.1:$OXIGRAPH_PORT" \
    --union-default-graph >"$STATE/oxigraph.log" 2>&1 < /dev/null &
  echo $! >"$STATE/oxigraph.pid"
  say "oxigraph starting (pid $!) on 127.0.0.1:$OXIGRAPH_PORT"
}

virtuoso_ini() {
  local data="$1"
  cat <<EOF
; Written by .ci/services.sh: a throw-away Virtuoso for kg's tests, on 127.0.0.1 only.
[Database]
DatabaseFile       = $data/virtuoso.db
ErrorLogFile       = $data/virtuoso.log
LockFile           = $data/virtuoso.lck
TransactionFile    = $data/virtuoso.trx
xa_persistent_file = $data/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = $data/virtuoso-temp.db
TransactionFile    = $data/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort          = 127.0.0.1:$VIRTUOSO_SQL_PORT
DisableUnixSocket   = 1
ServerThreads       = 20
CheckpointInterval  = 60
NumberOfBuffers     = 20000
MaxDirtyBuffers     = 15000
CaseMode            = 2
MaxStaticCursorRows = 5000
DirsAllowed         = ., $data

[HTTPServer]
ServerPort           = 127.0.0.1:$VIRTUOSO_HTTP_PORT
ServerRoot           = $data
ServerThreads        = 10
MaxClientConnections = 10
MaxKeepAlives        = 10
KeepAliveTimeout     = 10

[SPARQL]
ResultSetMaxRows           = 1000000
MaxQueryExecutionTime      = 120
MaxQueryCostEstimationTime = 400
DefaultQuery               = SELECT * WHERE { ?s ?p ?o } LIMIT 10
EOF
}

start_virtuoso() {
  if running virtuoso; then say "virtuoso already running (pid $(cat "$STATE/virtuoso.pid"))"; return 0; fi
  if ! command -v virtuoso-t >/dev/null; then say "virtuoso-t is not installed"; return 1; fi
  for port in "$VIRTUOSO_HTTP_PORT" "$VIRTUOSO_SQL_PORT"; do
    if port_taken "$port"; then
      say "port $port is taken by another program: not starting virtuoso"; return 1
    fi
  done
  local data="$STATE/virtuoso"
  rm -rf "$data" && mkdir -p "$data"
  virtuoso_ini "$data" >"$data/virtuoso.ini"
  setsid virtuoso-t +configfile "$data/virtuoso.ini" +foreground \
    >"$STATE/virtuoso.out" 2>&1 < /dev/null &
  echo $! >"$STATE/virtuoso.pid"
  say "virtuoso starting (pid $!) on 127.0.0.1:$VIRTUOSO_HTTP_PORT (SQL 127.0.0.1:$VIRTUOSO_SQL_PORT)"
}

wait_for() {  # wait_for NAME URL
  local name="$1" url="$2" waited=0
  while ! answers "$url"; do
    if ! running "$name"; then
      say "$name exited; its log:"; tail -20 "$STATE/$name.log" "$STATE/$name/virtuoso.log" \
        "$STATE/$name.out" 2>/dev/null >&2
      return 1
    fi
    if [ "$waited" -ge "$WAIT_SECONDS" ]; then say "$name did not answer in ${WAIT_SECONDS}s"; return 1; fi
    sleep 1; waited=$((waited + 1))
  done
  say "$name answers at $url"
}

stop_one() {
  local name="$1" pid
  if running "$name"; then
    pid="$(cat "$STATE/$name.pid")"
    kill "$pid" 2>/dev/null
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
    say "$name stopped (pid $pid)"
  fi
  rm -f "$STATE/$name.pid"
  rm -rf "${STATE:?}/$name"
}

case "${1:-}" in
  install)
    install_oxigraph; install_virtuoso; exit 0 ;;
  start)
    mkdir -p "$STATE"
    install_oxigraph; install_virtuoso
    failed=0
    start_oxigraph && wait_for oxigraph "http://127.0.0.1:$OXIGRAPH_PORT/query" || failed=1
    start_virtuoso && wait_for virtuoso "http://127.0.0.1:$VIRTUOSO_HTTP_PORT/sparql" || failed=1
    # a store that did not start is the tests' business: they skip locally, fail under CI
    [ "$failed" = 0 ] || say "not every store is up; the tests that need it will say so"
    exit 0 ;;
  stop)
    stop_one oxigraph; stop_one virtuoso; exit 0 ;;
  status)
    for name in oxigraph virtuoso; do
      if running "$name"; then echo "$name: running (pid $(cat "$STATE/$name.pid"))"
      else echo "$name: stopped"; fi
    done ;;
  *)
    echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
