#!/usr/bin/env bash
# Start → ready figures of issue 12, from a fresh clone:
#   1. embedded store: a 1,000,000-product catalog written straight into a data
#      directory (shopload -seed-direct), then exec → first 200 on /readyz,
#      ROUNDS rounds of N starts;
#   2. Lambda mode (SHOP_STORE=dynamodb SHOP_BUS=aws SHOP_SQS_POLL=false) on
#      DynamoDB Local with the tables pre-created: the same, and one round trip
#      to DynamoDB (a DescribeTable on a fresh connection, as a cold process
#      makes it) measured beside it, to subtract.
# With BASE=<commit> a binary of that commit is built too and the rounds
# alternate base/new, so both see the same machine.
#
# Needs DynamoDB Local for part 2 (SHOP_TEST_DYNAMODB_ENDPOINT, e.g. from
# tools/emulators; part 2 is skipped without it) and curl. Everything binds
# 127.0.0.1. Usage: scripts/perf/startup.sh [workdir]
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${1:-$(mktemp -d)}
products=${PRODUCTS:-1000000}
rounds=${ROUNDS:-5}
n=${N:-10}
mkdir -p "$work"
echo "work dir $work"

go build -o "$work/shop.new" ./cmd/shop
go build -o "$work/shopload" ./cmd/shopload
bins=(new)
if [[ -n ${BASE:-} ]]; then
	git worktree add --detach "$work/base-src" "$BASE" >/dev/null
	(cd "$work/base-src" && go build -o "$work/shop.base" ./cmd/shop)
	git worktree remove --force "$work/base-src"
	bins=(base new)
fi

# 1. Embedded, 1M products.
data=$work/data-$products
if [[ ! -f $data/product.db ]]; then
	"$work/shopload" -scenario seed -seed-direct -seed-products "$products" -seed-c 1000 -data-dir "$data"
fi
for r in $(seq 1 "$rounds"); do
	for b in "${bins[@]}"; do
		printf 'embedded %d products, round %d, %s: ' "$products" "$r" "$b"
		"$work/shopload" -server-bin "$work/shop.$b" -data-dir "$data" -scenario startup -n "$n" | tail -1
	done
done

# 2. Lambda mode on DynamoDB Local.
ddb=${SHOP_TEST_DYNAMODB_ENDPOINT:-}
if [[ -z $ddb ]]; then
	echo "SHOP_TEST_DYNAMODB_ENDPOINT unset: Lambda-mode figures skipped"
	exit 0
fi
p=perf-startup-$$
tables=(product basket catalog order outbox)
env=(SHOP_STORE=dynamodb SHOP_BUS=aws SHOP_SQS_POLL=false SHOP_AUTH=dev SHOP_EVENT_BUS_NAME=$p-bus
	SHOP_PRODUCT_TABLE=$p-product SHOP_BASKET_TABLE=$p-basket SHOP_BASKET_CATALOG_TABLE=$p-catalog
	SHOP_ORDER_TABLE=$p-order SHOP_OUTBOX_TABLE=$p-outbox AWS_ENDPOINT_URL_DYNAMODB=$ddb
	AWS_ENDPOINT_URL_SQS=http://127.0.0.1:9 AWS_ENDPOINT_URL_EVENTBRIDGE=http://127.0.0.1:9
	AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_EC2_METADATA_DISABLED=true)
serverEnv=()
for kv in "${env[@]}"; do serverEnv+=(-server-env "$kv"); done
ddbcall() { # ddbcall TARGET JSON: one call on a fresh connection; prints seconds
	curl -s -o /dev/null -w '%{time_total}\n' -X POST "$ddb" -H "X-Amz-Target: DynamoDB_20120810.$1" \
		-H 'Content-Type: application/x-amz-json-1.0' \
		-H 'Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0' \
		-d "$2"
}
cleanup() { for t in "${tables[@]}"; do ddbcall DeleteTable "{\"TableName\":\"$p-$t\"}" >/dev/null || true; done; }
trap cleanup EXIT
# The tables exist before the measured starts, as on AWS: one run creates them.
"$work/shopload" -server-bin "$work/shop.new" -data-dir "$work/lambda" -scenario startup -n 1 \
	"${serverEnv[@]}" -server-env SHOP_CREATE_TABLES=true >/dev/null
for r in $(seq 1 "$rounds"); do
	for b in "${bins[@]}"; do
		printf 'Lambda mode, round %d, %s: ' "$r" "$b"
		# Lambda sets no AWS_CA_BUNDLE; a machine that does would time its parsing.
		env -u AWS_CA_BUNDLE "$work/shopload" -server-bin "$work/shop.$b" -data-dir "$work/lambda" -scenario startup \
			-n "$n" "${serverEnv[@]}" | tail -1
	done
	printf 'DynamoDB round trip (DescribeTable, fresh connection), round %d, ms over %d: ' "$r" "$n"
	for _ in $(seq 1 "$n"); do ddbcall DescribeTable "{\"TableName\":\"$p-product\"}"; done |
		sort -n | awk '{v[NR]=$1*1000} END {printf "min %.2f, median %.2f, max %.2f\n", v[1], v[int(NR/2)+1], v[NR]}'
done
