#!/usr/bin/env bash
# Reproduces the durable-write figures of issue 12 (README, Performance):
# POST /product and POST /basket with 64 clients, checkout → order readable
# at 200/s, and the fdatasyncs each request costs.
#
#   scripts/perf/write-path.sh              # this checkout, ROUNDS rounds
#   scripts/perf/write-path.sh 7880591      # alternate with a build of that commit
#
# Environment: ROUNDS (default 5), DURATION of the throughput runs (10s),
# CHECKOUT_DURATION (20s), FSYNCS=0 to skip counting fdatasyncs (needs
# `perf` with syscall tracepoints). Each round runs every build once per
# scenario, alternating, so a shared machine's noise hits both alike; report
# the median and the spread of the rounds.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
before=${1:-}
rounds=${ROUNDS:-5}
duration=${DURATION:-10s}
checkout_duration=${CHECKOUT_DURATION:-20s}
fsyncs=${FSYNCS:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$root"
go build -o "$work/shop-after" ./cmd/shop
go build -o "$work/shopload" ./cmd/shopload
builds=(after)
if [[ -n $before ]]; then
	mkdir "$work/src-before"
	git archive "$before" | tar -x -C "$work/src-before"
	(cd "$work/src-before" && go build -o "$work/shop-before" ./cmd/shop)
	builds=(before after)
fi

load() { "$work/shopload" "$@" 2>&1; }

# fdatasyncs BUILD SCENARIO ARGS...: the shop's fdatasyncs per request
# (seeding included), counted by perf over the server's whole life.
fdatasyncs() {
	local build=$1 sc=$2
	shift 2
	local d port pid n f out
	d=$(mktemp -d "$work/fs.XXXX")
	port=$((20000 + RANDOM % 20000))
	PORT=$port SHOP_HOST=127.0.0.1 SHOP_DATA_DIR=$d \
		perf stat -e syscalls:sys_enter_fdatasync -o "$d/perf.txt" -- "$work/shop-$build" >"$d/log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
	out=$(load -url "http://127.0.0.1:$port" -data-dir "$d" -scenario "$sc" -seed-products 100 "$@")
	pkill -INT -P "$pid" || true
	wait "$pid" || true
	n=$(awk '$1 ~ /^(POST|GET)$/ && $3 ~ /^[0-9]+$/ {s += $3} END {print s + 100}' <<<"$out")
	f=$(awk '/fdatasync/ {gsub(",", "", $1); print $1}' "$d/perf.txt")
	echo "fdatasyncs $build $sc: $f / $n requests = $(awk -v f="$f" -v n="$n" 'BEGIN {printf "%.3f", f / n}')"
}

for r in $(seq "$rounds"); do
	echo "=== round $r"
	for b in "${builds[@]}"; do
		echo "--- $b"
		load -server-bin "$work/shop-$b" -scenario create-product -c 64 -duration "$duration" | grep 'POST /product'
		load -server-bin "$work/shop-$b" -scenario put-basket -c 64 -users 100000 -duration "$duration" | grep 'POST /basket'
		load -server-bin "$work/shop-$b" -scenario checkout -rate 200 -c 64 -duration "$checkout_duration" |
			grep -E 'checkout→order|check OK|check FAIL'
	done
done

if [[ $fsyncs == 1 ]] && command -v perf >/dev/null; then
	for b in "${builds[@]}"; do
		fdatasyncs "$b" create-product -c 64 -duration 5s
		fdatasyncs "$b" put-basket -c 64 -users 100000 -duration 5s
		fdatasyncs "$b" checkout -rate 200 -c 64 -duration 5s
	done
fi

# The group commit against bbolt's DB.Batch, same run: commits per write.
go test -run '^$' -bench Batch -benchtime 5000x -count 3 ./platform/boltdb/
