#!/usr/bin/env bash
# Prints the instructions one operation of each named benchmark of the root
# module executes, counted by valgrind's callgrind: a measure that other
# processes on the machine do not change, for comparing two versions of the
# code on a busy machine. Each benchmark runs twice, N1 and N2 times (default
# 1000 and 6000), and the difference of the counts over N2-N1 cancels the
# start-up. valgrind's CPU has no SHA extensions, so the HMAC of Verify costs
# far more instructions than on a CPU that has them: compare counts of one
# benchmark between versions, not between benchmarks.
#   ./instructions.sh [-C DIR] 'ParseEvent/^small$' 'Unwrap/^agent$' ...
# DIR is the root of the tree to measure (default: this one's), such as a
# worktree of an older commit: git worktree add /tmp/before <commit>.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ "${1:-}" = -C ]; then
  root=$(cd "$2" && pwd)
  shift 2
fi
export GOTOOLCHAIN=go1.27.3
command -v valgrind >/dev/null || { echo "instructions.sh: needs valgrind (apt-get install valgrind)" >&2; exit 1; }
n1=${N1:-1000}
n2=${N2:-6000}
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
# No cgo, and no asynchronous preemption: callgrind does not follow the
# signals that they use.
(cd "$root" && CGO_ENABLED=0 go test -c -o "$bin/root.test" .)
count() {
  (cd "$root" && GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
    "$bin/root.test" -test.run '^$' -test.bench "$1" -test.benchtime "${2}x" -test.cpu 1 2>&1 >/dev/null) |
    awk '/Collected :/ { print $4 }'
}
for bench in "$@"; do
  a=$(count "$bench" "$n1")
  b=$(count "$bench" "$n2")
  echo "$bench $(((b - a) / (n2 - n1))) instructions/op"
done
