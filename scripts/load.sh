#!/usr/bin/env bash
# Load test (issue #9): a release build of `lims serve` on a fresh SQLite file and on a
# fresh PostgreSQL database, loaded over HTTP with wrk (Debian package `wrk`), next to an
# actix-web hello world (scripts/load/hello) as the ceiling of this machine, in the same
# run. Prints one line per measurement and, at the end, the medians (BENCHMARKS.md,
# "Load (issue #9)"). Not part of CI.
#
#   scripts/load.sh                     # both backends, 3 rounds of 10 s per measurement
#   RUNS=5 DURATION=20 scripts/load.sh
#   BACKENDS=sqlite SCENARIOS="hello results" scripts/load.sh
#
# Environment: CARGO_TARGET_DIR (default ./target), PG_ADMIN_URL (default
# postgres://postgres@127.0.0.1:5432/postgres; the script creates and drops the database
# lims_load there), CONNECTIONS (32), THREADS (2), PREP_SAMPLES (1500 per backend, each
# with PREP_ITEMS (10) tests for the result-entry runs, each entered once: a result-entry run
# lasts RESULTS_DURATION (5) s so that its share of the tests lasts; one that runs out
# says so). Only loopback addresses are used.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
RESULTS_DURATION=${RESULTS_DURATION:-5}
SCENARIOS=${SCENARIOS:-hello register lookup results stats}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
BACKENDS=${BACKENDS:-sqlite postgres}
PREP_SAMPLES=${PREP_SAMPLES:-1500}
PREP_ITEMS=${PREP_ITEMS:-10}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
LIMS_PORT=18081
HELLO_PORT=18080

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

echo "== build (release)"
cargo build --release --bin lims
CARGO_TARGET_DIR="$TARGET" cargo build --release --manifest-path scripts/load/hello/Cargo.toml
LIMS="$TARGET/release/lims"
HELLO="$TARGET/release/lims-load-hello"

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

wait_for() { # url
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "no answer from $1" >&2
  exit 1
}

export LOAD_DIR="$ROOT/scripts/load" LOAD_THREADS="$THREADS" LOAD_CONNECTIONS="$CONNECTIONS"
RESULTS="$WORK/results.txt"
: >"$RESULTS"

# measure NAME BACKEND URL SCRIPT: one wrk run, if NAME is in SCENARIOS; appends
# "backend name RESULT ..." to RESULTS.
measure() {
  local name=$1 backend=$2 url=$3 script=$4 out seconds=$DURATION
  [[ " $SCENARIOS " == *" $name "* ]] || return 0
  [ "$name" = results ] && seconds=$RESULTS_DURATION
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s" --timeout 10s -s "$LOAD_DIR/$script" "$url" 2>"$WORK/wrk.err")
  local line
  line=$(grep '^RESULT' <<<"$out")
  echo "$backend $name $line load=$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$RESULTS"
  sed -n 1,3p "$WORK/wrk.err" >&2
}

"$HELLO" "127.0.0.1:$HELLO_PORT" &
PIDS+=($!)
wait_for "http://127.0.0.1:$HELLO_PORT/"

for backend in $BACKENDS; do
  echo "== $backend: fresh database, users, $PREP_SAMPLES samples with $PREP_ITEMS tests each"
  DATA="$WORK/$backend"
  mkdir -p "$DATA"
  case $backend in
    sqlite) DB_URL="sqlite://$DATA/lims.db" ;;
    postgres)
      psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS lims_load" -c "CREATE DATABASE lims_load"
      DB_URL="${PG_ADMIN_URL%/*}/lims_load" ;;
    *) echo "unknown backend $backend" >&2; exit 1 ;;
  esac
  export DATABASE_URL="$DB_URL" LIMS_DATA_DIR="$DATA" LIMS_BIND="127.0.0.1:$LIMS_PORT" \
    LIMS_BASE_URL="http://127.0.0.1:$LIMS_PORT" LIMS_SECRET="load-test-secret-load-test-secret-0123"
  export LOAD_PASSWORD="load-Password-2026"
  "$LIMS" migrate >/dev/null
  "$LIMS" seed >/dev/null
  for u in load_sampler:sampler load_sampler2:sampler load_supervisor:supervisor \
    load_custodian:custodian load_tech:technician; do
    echo "$LOAD_PASSWORD" | "$LIMS" user add --username "${u%%:*}" --roles "${u#*:}" --password-stdin >/dev/null
  done
  RUST_LOG=warn "$LIMS" serve >"$DATA/server.log" 2>&1 &
  SERVER=$!
  PIDS+=($SERVER)
  wait_for "http://127.0.0.1:$LIMS_PORT/healthz"
  started=$(date +%s)
  python3 "$LOAD_DIR/prepare.py" "http://127.0.0.1:$LIMS_PORT" "$DATA" "$PREP_SAMPLES" "$PREP_ITEMS"
  echo "prepared in $(($(date +%s) - started)) s"
  # shellcheck disable=SC1091
  source "$DATA/tokens.env"
  TOTAL_TESTS=$(wc -l <"$DATA/tests.txt")
  PER_RUN=$((TOTAL_TESTS / RUNS))
  export LOAD_DATA="$DATA"
  for run in $(seq 1 "$RUNS"); do
    echo "== $backend round $run/$RUNS"
    LOAD_TOKEN=x LOAD_PATH=/ measure hello "$backend" "http://127.0.0.1:$HELLO_PORT" get.lua
    LOAD_TOKEN=$SAMPLER_TOKEN measure register "$backend" "http://127.0.0.1:$LIMS_PORT" register.lua
    LOAD_TOKEN=$SAMPLER_TOKEN measure lookup "$backend" "http://127.0.0.1:$LIMS_PORT" lookup.lua
    # Each round enters the results of its own share of the prepared tests, each once.
    sed -n "$(((run - 1) * PER_RUN + 1)),$((run * PER_RUN))p" "$DATA/tests.txt" >"$DATA/tests-$run.txt"
    LOAD_TOKEN=$TECH_TOKEN LOAD_TESTS="$DATA/tests-$run.txt" \
      measure results "$backend" "http://127.0.0.1:$LIMS_PORT" results.lua
    LOAD_TOKEN=$SUPERVISOR_TOKEN LOAD_PATH="/api/v1/stats/sampling-rate?year=2026&level=county" \
      measure stats "$backend" "http://127.0.0.1:$LIMS_PORT" get.lua
  done
  echo "samples in the database at the end: $(curl -fsS -H "Authorization: Bearer $SUPERVISOR_TOKEN" \
    "http://127.0.0.1:$LIMS_PORT/api/v1/samples?per_page=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')"
  echo "server resident memory: $(awk '/VmRSS/ {print $2, $3}' "/proc/$SERVER/status")"
  kill "$SERVER"
  wait "$SERVER" 2>/dev/null || true
  if [ "$backend" = postgres ]; then
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS lims_load"
  fi
done

echo "== medians of $RUNS rounds ($CONNECTIONS connections, $THREADS wrk threads, ${DURATION} s each, results ${RESULTS_DURATION} s)"
python3 - "$RESULTS" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    backend, name, _, *fields = line.split()
    f = dict(x.split("=", 1) for x in fields)
    rows.setdefault((backend, name), []).append(f)
print(f"{'backend':9} {'what':9} {'req/s':>9} {'p99 ms':>8} {'p50 ms':>7} {'non-2xx':>8} {'load':>6}  note")
for (backend, name), fs in rows.items():
    med = lambda k: statistics.median(float(f[k]) for f in fs)
    print(f"{backend:9} {name:9} {med('rps'):9.0f} {med('p99_ms'):8.2f} {med('p50_ms'):7.2f} "
          f"{sum(int(f['non2xx']) for f in fs):8d} {med('load'):6.2f}  "
          + ("all tests used up in some rounds: a lower bound" if any(f.get("used_up") == "1" for f in fs) else ""))
EOF
