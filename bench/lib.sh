# Shared by the benchmark scripts: the load generator, PostgreSQL, the release binary, and
# helpers to start a server and measure it. Source it from the repository root with CLIENTS,
# DURATION and out set.

OHA_VERSION=1.16.0
out=bench/out
mkdir -p "$out"

if ! command -v oha >/dev/null 2>&1; then
  echo "installing oha $OHA_VERSION (once)..." >&2
  cargo install oha --locked --version "$OHA_VERSION" >&2
fi
command -v pgbench >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq postgresql-15 postgresql-client-15 >/dev/null; }
pg_ctlcluster 15 main start 2>/dev/null || true
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
su postgres -c "psql -q -v ON_ERROR_STOP=1" <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pathway') THEN
    CREATE ROLE pathway LOGIN PASSWORD 'pathway' CREATEDB;
  END IF;
END $$;
SQL

echo "building the release binary..." >&2
cargo build -q --release -p pathway-server
bin=target/release/pathway
work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

fresh_pg() {
  su postgres -c "dropdb --if-exists $1" && su postgres -c "createdb -O pathway $1"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Runs oha against the URLs given; prints "rps p50_ms p99_ms errors".
load() {
  local name=$1; shift
  oha --no-tui --output-format json -z "${DURATION}s" -c "$CLIENTS" -H "Authorization: Bearer $token" "$@" >"$out/$name.json"
  python3 - "$out/$name.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ok = sum(n for code, n in r.get("statusCodeDistribution", {}).items() if code.startswith("2"))
total = sum(r.get("statusCodeDistribution", {}).values())
p = r["latencyPercentiles"]
print(f'{r["summary"]["requestsPerSec"]:.0f} {p["p50"]*1000:.2f} {p["p99"]*1000:.2f} {total - ok}')
PY
}

# Starts the release server on database URL $1 (logging to bench/out/server-$2.log) with a
# fresh secret; sets server, port, secret and an admin token, and waits until it is ready.
start_server() {
  port=$(free_port)
  secret="bench-$RANDOM$RANDOM"
  # A load generator is one caller sending as fast as it can: the rate limits would measure
  # themselves, not the server.
  DATABASE_URL="$1" PATHWAY_BIND="127.0.0.1:$port" PATHWAY_JWT_SECRET="$secret" RUST_LOG=warn \
    PATHWAY_RATE_LIMIT_PERSON=1000000000 PATHWAY_RATE_LIMIT_CLIENT=1000000000 \
    "$bin" serve >"$out/server-$2.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break; sleep 0.2; done
  token=$(PATHWAY_JWT_SECRET="$secret" "$bin" token --role admin --ttl 2h)
}

# Stops the server, setting peak_mib to its peak resident memory in MiB.
stop_server() {
  local rss_kib
  rss_kib=$(awk '/VmHWM/ {print $2}' "/proc/$server/status")
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
  peak_mib=$((rss_kib / 1024))
}
