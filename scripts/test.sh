#!/usr/bin/env bash
# The one test command, on a fresh machine and in CI (.ci/run calls it).
#
#   scripts/test.sh                          # everything: gofmt, vet, race tests, benchmarks once, deploy/
#   scripts/test.sh ./platform/testenv/...   # only these packages (vet + test)
#   scripts/test.sh -run TestX -v            # flags only: ./... is appended
#
# It installs the emulators pinned in tools/emulators (npm ci), starts DynamoDB
# Local, the fauxqs SQS emulator and the cognito-local Cognito emulator on free
# 127.0.0.1 ports, exports SHOP_TEST_DYNAMODB_ENDPOINT, SHOP_TEST_SQS_ENDPOINT
# and SHOP_TEST_COGNITO_ENDPOINT for platform/testenv, and always stops what it
# started; SHOP_TEST_EMULATOR_DIR and SHOP_TEST_DYNAMODB_JAR_DIR let the
# fault tests start emulators of their own. Emulator logs, and cognito-local's state (.cognito/), go to a
# temporary directory that is removed on success and printed (and kept) when
# anything fails.
#
# Arguments are passed to `go test`. An argument that starts with "." or with
# the module path is taken as a package pattern; if there is none, ./... is
# appended. With explicit packages, gofmt and vet are limited to them and
# deploy/ is skipped, to keep targeted runs fast.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

EMU_DIR="$ROOT/tools/emulators"
DDB_DIR="$EMU_DIR/node_modules/amplify-dynamodb-simulator/emulator"
COGNITO_START="$EMU_DIR/node_modules/cognito-local/lib/bin/start.js"
MODULE="github.com/serverless-shop/shop"
READY_TIMEOUT="${SHOP_TEST_READY_TIMEOUT:-90}" # seconds per emulator; a JVM on a busy 2-core box is slow

LOG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/shop-test.XXXXXX")"
PIDS=()

log() { printf '==> %s\n' "$*" >&2; }
die() {
	printf 'scripts/test.sh: %s\n' "$*" >&2
	exit 1
}

cleanup() {
	local rc=$?
	local pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	if [[ $rc -ne 0 ]]; then
		printf '\nscripts/test.sh: FAILED (exit %d). Emulator logs kept in %s\n' "$rc" "$LOG_DIR" >&2
		local f
		for f in "$LOG_DIR"/*.log; do
			[[ -s $f ]] || continue
			printf -- '--- last lines of %s ---\n' "$f" >&2
			tail -n 20 "$f" >&2
		done
	else
		rm -rf "$LOG_DIR"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

need() {
	command -v "$1" >/dev/null 2>&1 || die "'$1' not found on PATH: $2"
}
need go "install Go (see go.mod for the version)"
need node "install Node.js 20+ (Debian: apt-get install nodejs npm)"
need npm "install npm"
need java "install a Java 17+ runtime (Debian: apt-get install openjdk-17-jre-headless)"

# --- emulators: install ------------------------------------------------------

# npm ci wipes and reinstalls node_modules, so it runs only when the lock file
# changed since the last successful install.
install_emulators() {
	local stamp="$EMU_DIR/node_modules/.shop-installed-lock"
	if [[ -f $stamp ]] && cmp -s "$stamp" "$EMU_DIR/package-lock.json" && [[ -f $DDB_DIR/DynamoDBLocal.jar ]]; then
		return
	fi
	log "npm ci (tools/emulators)"
	(cd "$EMU_DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) ||
		die "npm ci in tools/emulators failed"
	cp "$EMU_DIR/package-lock.json" "$stamp"
}
install_emulators
[[ -f $DDB_DIR/DynamoDBLocal.jar ]] || die "$DDB_DIR/DynamoDBLocal.jar missing after npm ci"
[[ -f $COGNITO_START ]] || die "$COGNITO_START missing after npm ci"

# --- emulators: start -------------------------------------------------------

# free_ports N prints N distinct free loopback TCP ports. They are held open
# together while chosen so they differ; a port can in principle be taken
# between here and the emulator's bind, which then fails loudly below.
free_ports() {
	node -e '
		const net = require("net");
		const n = Number(process.argv[1]);
		const servers = [];
		const next = () => {
			if (servers.length === n) {
				console.log(servers.map((s) => s.address().port).join(" "));
				servers.forEach((s) => s.close());
				return;
			}
			const s = net.createServer();
			s.listen(0, "127.0.0.1", () => { servers.push(s); next(); });
		};
		next();
	' "$1"
}

# http_answers PORT succeeds once something on 127.0.0.1:PORT answers HTTP.
http_answers() {
	timeout 5 bash -c '
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3
		IFS= read -r line <&3 || exit 1
		[[ $line == HTTP/* ]]
	' _ "$1" 2>/dev/null
}

# wait_ready NAME PID PORT waits, bounded, until the emulator answers HTTP.
wait_ready() {
	local name=$1 pid=$2 port=$3 deadline=$((SECONDS + READY_TIMEOUT))
	until http_answers "$port"; do
		kill -0 "$pid" 2>/dev/null || die "$name exited before answering on 127.0.0.1:$port (log: $LOG_DIR/$name.log)"
		((SECONDS < deadline)) || die "$name did not answer on 127.0.0.1:$port within ${READY_TIMEOUT}s (log: $LOG_DIR/$name.log)"
		sleep 0.2
	done
}

read -r DDB_PORT SQS_PORT COGNITO_PORT <<<"$(free_ports 3)"

# DynamoDB Local has no host flag and listens on every interface, so it is
# started through a small launcher that pins its connector to 127.0.0.1.
# Telemetry is off twice over (flag and variable): no traffic leaves the box.
log "starting DynamoDB Local on 127.0.0.1:$DDB_PORT"
DDB_LOCAL_TELEMETRY=0 java \
	-Djava.library.path="$DDB_DIR/DynamoDBLocal_lib" \
	-cp "$DDB_DIR/DynamoDBLocal.jar" \
	"$EMU_DIR/DynamoDBLocalLoopback.java" \
	-inMemory -port "$DDB_PORT" -disableTelemetry \
	>"$LOG_DIR/dynamodb.log" 2>&1 &
PIDS+=($!)
DDB_PID=$!

# fauxqs's CLI listens on 0.0.0.0; its launcher here binds 127.0.0.1.
log "starting fauxqs (SQS) on 127.0.0.1:$SQS_PORT"
FAUXQS_PORT="$SQS_PORT" node "$EMU_DIR/fauxqs-loopback.mjs" >"$LOG_DIR/sqs.log" 2>&1 &
PIDS+=($!)
SQS_PID=$!

# cognito-local binds HOST and puts http://HOST:PORT/<pool id> in each token's
# iss, so HOST must be the address the tests call. It keeps its state in
# .cognito/ under its working directory: a fresh one in LOG_DIR per run. With
# no config file there it has no Lambda triggers and no KMS sender, its only
# outbound calls; its AWS SDK v2 is told not to look for the EC2 metadata
# address nor to print its end-of-support notice.
log "starting cognito-local on 127.0.0.1:$COGNITO_PORT"
mkdir "$LOG_DIR/cognito"
(
	cd "$LOG_DIR/cognito"
	HOST=127.0.0.1 PORT="$COGNITO_PORT" \
		AWS_EC2_METADATA_DISABLED=true AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE=1 \
		exec node "$COGNITO_START"
) >"$LOG_DIR/cognito.log" 2>&1 &
PIDS+=($!)
COGNITO_PID=$!

wait_ready sqs "$SQS_PID" "$SQS_PORT"
wait_ready cognito "$COGNITO_PID" "$COGNITO_PORT"
wait_ready dynamodb "$DDB_PID" "$DDB_PORT"

export SHOP_TEST_DYNAMODB_ENDPOINT="http://127.0.0.1:$DDB_PORT"
export SHOP_TEST_SQS_ENDPOINT="http://127.0.0.1:$SQS_PORT"
export SHOP_TEST_COGNITO_ENDPOINT="http://127.0.0.1:$COGNITO_PORT"
# The fault tests start (and stop, and restart) emulators of their own from
# the same launchers and jar: platform/testenv.StartDynamoDBLocal, StartSQS.
export SHOP_TEST_EMULATOR_DIR="$EMU_DIR"
export SHOP_TEST_DYNAMODB_JAR_DIR="$DDB_DIR"
# Static credentials are used everywhere; make sure no SDK default chain ever
# reaches for the EC2 metadata address.
export AWS_EC2_METADATA_DISABLED=true
log "SHOP_TEST_DYNAMODB_ENDPOINT=$SHOP_TEST_DYNAMODB_ENDPOINT SHOP_TEST_SQS_ENDPOINT=$SHOP_TEST_SQS_ENDPOINT SHOP_TEST_COGNITO_ENDPOINT=$SHOP_TEST_COGNITO_ENDPOINT"

# --- a browser ---------------------------------------------------------------

# The /docs page is tested in a real, headless Chromium: Debian's package,
# installed here when missing (CI runs as root); never a browser download.
if ! command -v chromium >/dev/null 2>&1; then
	if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
		log "apt-get install chromium (for the /docs browser test)"
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
			>"$LOG_DIR/apt.log" 2>&1 || die "apt-get install chromium failed (log: $LOG_DIR/apt.log)"
	else
		log "chromium not found and not root: the browser test will skip (fail with CI=true)"
	fi
fi
if command -v chromium >/dev/null 2>&1; then
	export SHOP_TEST_CHROMIUM="$(command -v chromium)"
fi

# A scrape of /metrics is checked by promtool, from Debian's prometheus
# package (the server it also brings is never started), installed here
# when missing.
if ! command -v promtool >/dev/null 2>&1; then
	if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
		log "apt-get install prometheus (promtool, for the metrics test)"
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus; } \
			>"$LOG_DIR/apt-prometheus.log" 2>&1 || die "apt-get install prometheus failed (log: $LOG_DIR/apt-prometheus.log)"
	else
		log "promtool not found and not root: the metrics scrape test will skip (fail with CI=true)"
	fi
fi
if command -v promtool >/dev/null 2>&1; then
	export SHOP_TEST_PROMTOOL="$(command -v promtool)"
fi

# --- checks and tests --------------------------------------------------------

PKGS=()
for arg in "$@"; do
	if [[ $arg == .* || $arg == "$MODULE"* ]]; then
		PKGS+=("$arg")
	fi
done
if ((${#PKGS[@]} == 0)); then
	VET_PKGS=(./...)
	TEST_ARGS=("$@" ./...)
	FULL_RUN=1
else
	VET_PKGS=("${PKGS[@]}")
	TEST_ARGS=("$@")
	FULL_RUN=0
fi

# fuzz_one PKG NAME fuzzes one target for FUZZ_TIME. Go 1.26's fuzz
# coordinator can end a healthy run with a bare "context deadline exceeded"
# when -fuzztime runs out while a worker is mid-input on a busy machine
# (go.dev/issue/75804, fixed in Go 1.27). That, with no failing input
# written, is reported and not counted; any other failure is.
fuzz_one() {
	local pkg=$1 name=$2 out="$LOG_DIR/fuzz-$2.log" before after
	before="$(ls "$pkg/testdata/fuzz/$name" 2>/dev/null || true)"
	log "go test -fuzz ^$name\$ -fuzztime $FUZZ_TIME $pkg"
	if go test -run '^$' -fuzz "^$name\$" -fuzztime "$FUZZ_TIME" "$pkg" >"$out" 2>&1; then
		tail -n 2 "$out"
		return 0
	fi
	after="$(ls "$pkg/testdata/fuzz/$name" 2>/dev/null || true)"
	if [[ $before == "$after" ]] && tail -n 6 "$out" | grep -q '^    context deadline exceeded$'; then
		log "$name: Go's fuzz coordinator stopped on its own deadline (go.dev/issue/75804), no failing input: not a failure"
		return 0
	fi
	cat "$out" >&2
	die "fuzz target $name failed"
}

# GOFMT_ROOTS are the package patterns whose directories gofmt checks: the
# whole tree, or only the directories of the given package patterns.
GOFMT_ROOTS=()
if ((FULL_RUN)); then
	GOFMT_ROOTS=(./...)
else
	for p in "${PKGS[@]}"; do
		p="${p/#$MODULE/.}"
		GOFMT_ROOTS+=("$p")
	done
fi
log "gofmt -l ${GOFMT_ROOTS[*]}"
unformatted=""
for r in "${GOFMT_ROOTS[@]}"; do
	depth=()
	if [[ $r == */... ]]; then
		r="${r%/...}"
	else
		depth=(-maxdepth 1)
	fi
	[[ -d $r ]] || continue
	unformatted+="$(find "$r" "${depth[@]}" \
		\( -name node_modules -o -name cdk.out -o -name .git -o -path ./data \) -prune -o \
		-name '*.go' -type f -print0 | xargs -0 -r gofmt -l)"$'\n'
done
if [[ -n ${unformatted//$'\n'/} ]]; then
	printf 'gofmt: these files need formatting (run gofmt -w):\n%s\n' "$unformatted" >&2
	exit 1
fi

log "go vet ${VET_PKGS[*]}"
go vet "${VET_PKGS[@]}"

log "go test -race -count=1 ${TEST_ARGS[*]}"
go test -race -count=1 "${TEST_ARGS[@]}"

if ((FULL_RUN)); then
	# Each benchmark once, so they keep compiling and working; the figures
	# come from a quiet machine, not from here.
	log "go test -run '^\$' -bench . -benchtime 1x ./..."
	go test -run '^$' -bench . -benchtime 1x ./...
fi

if ((FULL_RUN)); then
	# Every fuzz target in the module, each for a bounded time: long enough
	# to find a shallow crash, short enough for CI. A failing input is kept
	# under the package's testdata/fuzz/ for go test to replay.
	FUZZ_TIME="${SHOP_TEST_FUZZ_TIME:-10s}"
	while IFS=: read -r file name; do
		fuzz_one "./$(dirname "$file")" "$name"
	done < <(grep -rEo --include='*_test.go' --exclude-dir=node_modules --exclude-dir=deploy \
		'^func Fuzz[A-Za-z0-9_]*' . | sed 's/:func /:/' | sort)
fi

if [[ -f deploy/go.mod ]]; then
	if ((FULL_RUN)); then
		log "deploy/: go vet ./... && go test -count=1 ./..."
		(
			cd deploy
			export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION=1
			go vet ./...
			go test -count=1 ./...
		)
	else
		log "deploy/ skipped (packages were given)"
	fi
fi

log "all checks passed"
