#!/usr/bin/env bash
# Runs the benchmarks of BENCHMARKS.md RUNS times (default 10): the
# comparison with openai-go and the standard-webhooks library on every
# delivery, reused and fresh, and what changes its ratios (this module); the
# Handler's (the root module): in process, over loopback HTTP against a bare
# handler, the MemoryStore from several goroutines, and claims after a burst
# of expiries;
# and receiving into a River queue on SQLite and on Postgres against the
# inline Handler (the riverqueue module), with a throwaway PostgreSQL that
# syncs its commits to disk, as SQLite does. Each run measures every
# contender once, one after the other, so that all of them meet the same
# machine load; then the medians, ratios and targets are printed, in the
# Markdown of BENCHMARKS.md, with the machine, the openai-go version and the
# load average before and after: figures measured while the load average is
# above 0.5 are not worth quoting.
#   RUNS=10 BENCHTIME=1s ./run.sh
set -euo pipefail
cd "$(dirname "$0")"
export GOTOOLCHAIN=go1.27.3 # Go 1.27 or later; fetched through the module proxy if need be
runs=${RUNS:-10}
benchtime=${BENCHTIME:-1s}
bin=$(mktemp -d)
go test -c -o "$bin/compare.test" .
(cd .. && go test -c -o "$bin/root.test" .)
(cd ../riverqueue && go test -c -o "$bin/riverqueue.test" .)
cd ..
PG_FSYNC=on source .ci/postgres # DATABASE_URL, and stop_postgres
trap 'stop_postgres; rm -rf "$bin"' EXIT
cd benchmarks
openai=$(go list -m -f '{{.Version}}' github.com/openai/openai-go/v3)
newest=$(go list -m -u -f '{{with .Update}}{{.Version}}{{end}}' github.com/openai/openai-go/v3 2>/dev/null || true)
load() { cut -d' ' -f1-3 /proc/loadavg; }
before=$(load)
: > results.txt
{
  echo "# $(go version), $(uname -sm), $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  for i in $(seq "$runs"); do
    "$bin/compare.test" -test.run '^$' -test.bench 'Compare|Causes' -test.benchmem -test.benchtime "$benchtime" -test.count 1
    (cd .. && "$bin/root.test" -test.run '^$' -test.bench 'Receive|HTTP|MemoryStoreClaimDone' -test.benchtime "$benchtime" -test.count 1)
    (cd .. && "$bin/root.test" -test.run '^$' -test.bench 'ClaimAfterBurst' -test.benchtime 3x -test.count 1)
    (cd ../riverqueue && "$bin/riverqueue.test" -test.run '^$' -test.bench 'Enqueue' -test.benchtime "$benchtime" -test.count 1)
  done
} | tee results.txt | grep -E '^(#|Benchmark)' >&2
after=$(load)
echo "Machine: $(head -1 results.txt | sed 's/^# //')."
echo
echo "openai-go $openai${newest:+ (the module proxy has $newest; see BENCHMARKS.md on bumping it)}; load average (1, 5, 15 min) $before before the runs, $after after."
echo
go run ./table < results.txt
