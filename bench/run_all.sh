#!/usr/bin/env bash
# Every benchmark, one after the other (about 50 minutes), each appending its table to bench/RESULTS.md.
# Run from the repository root: bench/run_all.sh [sqlite|postgres ...]   (default: both)
set -eu
cd "$(dirname "$0")/.."
PY=${PY:-/work/venv/bin/python}
dbs=${*:-sqlite postgres}
for db in $dbs; do
  $PY -m bench.roundtrips --db "$db"
  $PY -m bench.inbound --db "$db"
  $PY -m bench.fanout --db "$db"
  $PY -m bench.escalation --db "$db"
done
$PY -m bench.inbound --db postgres --rq-workers 2          # with the workers sending during the load
$PY -m bench.escalation --db postgres --variant fork       # the worker as it was before b05b0a1, for comparison
$PY -m bench.fanout --db postgres --parts pacing --pace-window 60 --pace-duration 300
