#!/usr/bin/env bash
# Reproduces issue 12's read-path figures (README, Performance): GET
# /product/{id} and GET /product?category=…&limit=50 as a share of a bare chi
# handler in the same run (shopload's ceiling and list-ceiling scenarios),
# ROUNDS times, alternating with a build of BASE when set, then one 60 s
# mixed run for the server's anonymous memory. The shop runs with its
# operator listener on (metrics counted, as in production) and its request
# log on at info level.
#
#   scripts/perf/read-path.sh                 # HEAD only
#   BASE=7880591 scripts/perf/read-path.sh    # HEAD and BASE, alternating
#
# Both are built from commits (REF, default HEAD), not the working tree.
# Environment: ROUNDS (5), C (64 clients; LIST_C, 32, for the list),
# DURATION (10s), MIX (60s; 0 skips the mixed run), OUT (a directory for the
# JSON results; default a temporary one). Needs only Go and git. Figures on a shared machine are noisy: compare
# the medians of alternating rounds, never one run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROUNDS=${ROUNDS:-5} C=${C:-64} LIST_C=${LIST_C:-32} DURATION=${DURATION:-10s} MIX=${MIX:-60s}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT/bin"

# build REF NAME builds cmd/shop at REF (a commit, not the working tree) as
# $OUT/bin/shop-NAME, and the harness of REF when NAME is head.
build() {
	local wt
	wt=$(mktemp -d)
	git worktree add -q --detach "$wt" "$1"
	(cd "$wt" && go build -o "$OUT/bin/shop-$2" ./cmd/shop && go test -c -o "$OUT/bin/shop-$2.test" ./cmd/shop &&
		if [[ $2 == head ]]; then go build -o "$OUT/bin/shopload" ./cmd/shopload; fi)
	git worktree remove --force "$wt"
}
build "${REF:-HEAD}" head
builds=(head)
if [[ -n "${BASE:-}" ]]; then
	build "$BASE" base
	builds=(base head)
fi

# ratio prints the "N% of the ceiling" figure of a shopload report.
ratio() { sed -n 's/.*: \([0-9]*\)% of the ceiling.*/\1/p' "$1"; }

for scenario in ceiling list-ceiling; do
	for round in $(seq "$ROUNDS"); do
		for b in "${builds[@]}"; do
			f="$OUT/$scenario-$b-$round"
			c=$C
			[[ $scenario == list-ceiling ]] && c=$LIST_C
			"$OUT/bin/shopload" -server-bin "$OUT/bin/shop-$b" -scenario "$scenario" -c "$c" -duration "$DURATION" \
				-out "$f.json" >"$f.txt" 2>&1 || { cat "$f.txt"; exit 1; }
			echo "$scenario round $round $b: $(ratio "$f.txt")% of the bare chi handler"
		done
	done
	for b in "${builds[@]}"; do
		echo "$scenario $b: median $(for r in $(seq "$ROUNDS"); do ratio "$OUT/$scenario-$b-$r.txt"; done | sort -n |
			awk '{v[NR]=$1} END {print v[int((NR+1)/2)] "% (min " v[1] ", max " v[NR] ")"}')"
	done
done

# BenchmarkCeiling (where the build has it): the same comparison by the
# process's CPU time per request, which a busy machine does not stretch.
# The test binary runs in cmd/shop, where its TestMain builds the e2e binary.
for round in $(seq "$ROUNDS"); do
	for b in "${builds[@]}"; do
		if "$OUT/bin/shop-$b.test" -test.list 'BenchmarkCeiling' | grep -q Ceiling; then
			(cd cmd/shop && "$OUT/bin/shop-$b.test" -test.run '^$' -test.bench BenchmarkCeiling -test.benchtime 20000x) |
				awk -v r="$round" -v b="$b" '/cpu-ns/ {split($1, n, "/"); sub(/-[0-9]+$/, "", n[3]); v[n[2] "/" n[3]] = $5}
					END {printf "BenchmarkCeiling round %s %s: Get %.0f%%, List %.0f%% of the bare chi handler by CPU time\n",
						r, b, 100 * v["Get/Bare"] / v["Get/Shop"], 100 * v["List/Bare"] / v["List/Shop"]}'
		fi
	done
done

if [[ "$MIX" != 0 ]]; then
	for b in "${builds[@]}"; do
		f="$OUT/mix-$b"
		"$OUT/bin/shopload" -server-bin "$OUT/bin/shop-$b" -scenario mix -c 16 -duration "$MIX" -out "$f.json" >"$f.txt" 2>&1 ||
			{ cat "$f.txt"; exit 1; }
		echo "mix $b: $(grep 'max RSS' "$f.txt")"
	done
fi
echo "results in $OUT"
