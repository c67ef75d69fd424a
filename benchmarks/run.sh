#!/usr/bin/env bash
# Runs the comparison benchmarks RUNS times (default 10), each run measuring
# every contender once, one after the other, so that all of them meet the
# same machine load; then prints the medians and ratios (BENCHMARKS.md).
#   RUNS=10 BENCHTIME=1s ./run.sh
set -euo pipefail
cd "$(dirname "$0")"
export GOTOOLCHAIN=go1.27.3 # Go 1.27 or later; fetched through the module proxy if need be
runs=${RUNS:-10}
benchtime=${BENCHTIME:-1s}
bin=$(mktemp -d)/compare.test
go test -c -o "$bin" .
: > results.txt
{
  echo "# $(go version), $(uname -sm), $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  for i in $(seq "$runs"); do
    "$bin" -test.run '^$' -test.bench Compare -test.benchmem -test.benchtime "$benchtime" -test.count 1
  done
} | tee results.txt | grep -E '^(#|Benchmark)' >&2
go run ./table < results.txt
