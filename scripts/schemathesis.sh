#!/usr/bin/env bash
# Property-based tests of the HTTP API from its own OpenAPI document
# (schemathesis): builds `shipgate`, starts `shipgate serve` in sandbox mode on
# a temporary SQLite file and a free port, takes the API key the first start
# prints, and runs schemathesis against /openapi.json with that key. It fails
# on any 5xx and on any answer the document does not describe (status code,
# content type, body schema).
#
#   scripts/schemathesis.sh                      # 20 examples per operation
#   SCHEMATHESIS_MAX_EXAMPLES=500 SCHEMATHESIS_PHASES=examples,coverage,fuzzing,stateful \
#     scripts/schemathesis.sh                    # the long run
#
# Extra arguments go to `st run` (e.g. --include-path /v1/ndr --seed 1).
# Needs schemathesis (`pip install schemathesis==4.32.5`).
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/shipgate/target}"
MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-20}"
PHASES="${SCHEMATHESIS_PHASES:-examples,coverage,fuzzing}"
CHECKS="not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"

command -v st >/dev/null || { echo "schemathesis is required: pip install schemathesis==4.32.5"; exit 1; }
# Built as the test suite builds it (`cargo test --workspace`): the same
# features, so after the tests this is a no-op rather than a second build.
cargo test --workspace --no-run --quiet 2>/dev/null
bin="$CARGO_TARGET_DIR/debug/shipgate"

work="$(mktemp -d)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
# The key file and the database live in the temporary directory; the
# secret-key rate limit is off so the run measures the API, not the limiter.
(
  cd "$work"
  export SHIPGATE_SECRET_RATE_PER_KEY=0 SHIPGATE_SECRET_BURST_PER_KEY=0 SHIPGATE_LOG_FORMAT=json RUST_LOG=warn
  exec "$bin" serve --listen "127.0.0.1:$port" --database "sqlite://$work/shipgate.db"
) >"$work/serve.log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

for _ in $(seq 1 100); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.log"; exit 1; }
  sleep 0.2
done
# The first start prints the new tenant's secret key.
key="$(grep -o 'sg_live_[0-9a-f]*' "$work/serve.log" | head -1)"
[ -n "$key" ] || { echo "no API key in the server's output:"; cat "$work/serve.log"; exit 1; }

# Real objects for the operations that take an id, so those are tested on
# something that exists (random ids only reach the 404 answer): a sandbox
# carrier account, a shipment booked through it, a webhook endpoint. They go
# into schemathesis.toml in the temporary directory, which `st` reads from
# its working directory. The destructive operations (cancel, delete) may run
# before the others; what follows them then tests the answers for a
# cancelled shipment or a deleted endpoint.
api() {
  curl -fsS -X "$1" "$base$2" -H "Authorization: Bearer $key" -H 'content-type: application/json' ${3:+-d "$3"}
}
field() { python3 -c "import json, sys; print(json.load(sys.stdin)['$1'])"; }
account="$(api POST /v1/carrier-accounts '{"carrier": "delhivery", "sandbox": true}' | field id)"
shipment_json="$(api POST /v1/shipments "{\"order_reference\": \"ST-REAL-1\", \"carrier_account_id\": \"$account\",
  \"pickup\": {\"name\": \"Warehouse\", \"phone\": \"9876543210\", \"line1\": \"1 Road\", \"city\": \"Delhi\", \"state\": \"Delhi\", \"postal_code\": \"110020\"},
  \"consignee\": {\"name\": \"Asha\", \"phone\": \"9812345678\", \"line1\": \"2 Road\", \"city\": \"Bengaluru\", \"state\": \"KA\", \"postal_code\": \"560001\"},
  \"parcels\": [{\"weight_grams\": 500}], \"payment_mode\": \"prepaid\", \"declared_value\": 10000}")"
shipment="$(printf '%s' "$shipment_json" | field id)"
awb="$(printf '%s' "$shipment_json" | field awb)"
endpoint="$(api POST /v1/webhook-endpoints '{"url": "https://example.com/hook", "event_types": ["shipment.status_changed"]}' | field id)"
cat >"$work/schemathesis.toml" <<TOML
[[operations]]
include-path-regex = "^/v1/shipments/\\\\{id\\\\}"
parameters = { "path.id" = "$shipment" }

[[operations]]
include-path-regex = "^/v1/carrier-accounts/\\\\{id\\\\}"
parameters = { "path.id" = "$account" }

[[operations]]
include-path-regex = "^/hooks/carriers/"
parameters = { "path.carrier_account_id" = "$account" }

[[operations]]
include-path-regex = "^/v1/webhook-endpoints/\\\\{id\\\\}"
parameters = { "path.id" = "$endpoint" }

[[operations]]
include-path-regex = "^/v1/tracking/"
parameters = { "path.awb" = "$awb" }
TOML
echo "real ids: shipment $shipment (AWB $awb), carrier account $account, webhook endpoint $endpoint"

status=0
# From the temporary directory: schemathesis keeps its cache in the working one.
cd "$work"
st run "$base/openapi.json" \
  --header "Authorization: Bearer $key" \
  --checks "$CHECKS" \
  --phases "$PHASES" \
  --max-examples "$MAX_EXAMPLES" \
  --seed "${SCHEMATHESIS_SEED:-1}" \
  --request-timeout 30 \
  --workers 1 \
  --suppress-health-check all \
  "$@" || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- server errors logged during the run ---"
  grep -i '"level":"ERROR"' "$work/serve.log" | tail -20 || true
fi
exit "$status"
