#!/usr/bin/env bash
# Start dtc-api on a scratch SQLite database and run the graphql-http audits against it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
port=${AUDIT_PORT:-18765}  # not DTC_*: the server refuses settings it does not know
export DTC_DATABASE_URL="sqlite:///$work/audit.db"

(cd "$root/.ci/audit" && npm ci --no-audit --no-fund --silent)
token=$("$root/.venv/bin/dtc-api" demo --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["noSessionToken"])')
"$root/.venv/bin/dtc-api" serve --port "$port" --no-worker >"$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
  sleep 0.1
done
node "$root/.ci/audit/audit.mjs" "http://127.0.0.1:$port/graphql" "$token"
