#!/usr/bin/env bash
# Starts a fresh Ferry (empty SQLite data directory, free port) from an already
# built site and binary, runs the Playwright suite in Debian's Chromium against it,
# then stops Ferry with SIGTERM and checks that it shut down cleanly.
#
#   scripts/e2e.sh [--release]      (build first with scripts/build-site.sh [--release])
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

dir=debug
[ "${1:-}" = "--release" ] && dir=release
binary="$ROOT/target/$dir/ferry"
[ -x "$binary" ] || die "$binary is missing: run scripts/build-site.sh${1:+ $1} first"
[ -f "$ROOT/target/site/pkg/ferry.wasm" ] || die "target/site is missing: run scripts/build-site.sh first"

ensure_chromium
ensure_playwright
ensure_s3s_fs
ensure_moto

data="$(mktemp -d -t ferry-e2e.XXXXXX)"
port="$(free_port)"
"$binary" --data-dir "$data" --listen "127.0.0.1:$port" --site-root "$ROOT/target/site" \
  --log-level warn >"$data/ferry.log" 2>&1 &
pid=$!
# A real S3 server (s3s-fs) with one bucket, and a local folder, for the provider tests.
s3_port="$(free_port)"
mkdir -p "$data/s3/ferry-e2e" "$data/local-docs"
export FERRY_E2E_S3_ENDPOINT="http://127.0.0.1:$s3_port" FERRY_E2E_S3_BUCKET=ferry-e2e \
  FERRY_E2E_S3_ACCESS_KEY=ferrye2ekey FERRY_E2E_S3_SECRET_KEY=ferrye2esecret0123456789 \
  FERRY_E2E_LOCAL_ROOT="$data/local-docs"
"$ROOT/tools/cargo/bin/s3s-fs" --host 127.0.0.1 --port "$s3_port" --access-key "$FERRY_E2E_S3_ACCESS_KEY" \
  --secret-key "$FERRY_E2E_S3_SECRET_KEY" "$data/s3" >"$data/s3s-fs.log" 2>&1 &
s3_pid=$!
# moto, for a versioned bucket (rollback restores prior versions); it accepts any keys.
moto_port="$(free_port)"
export FERRY_E2E_MOTO_ENDPOINT="http://127.0.0.1:$moto_port"
"$ROOT/tools/venv/bin/moto_server" -H 127.0.0.1 -p "$moto_port" >"$data/moto.log" 2>&1 &
moto_pid=$!
cleanup() {
  kill "$pid" "$s3_pid" "$moto_pid" 2>/dev/null || true
  wait "$pid" "$s3_pid" "$moto_pid" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

wait_answer "$FERRY_E2E_S3_ENDPOINT/" 30 || { cat "$data/s3s-fs.log" >&2; die "s3s-fs did not start"; }
wait_answer "$FERRY_E2E_MOTO_ENDPOINT/" 60 || { cat "$data/moto.log" >&2; die "moto did not start"; }
if ! wait_http "http://127.0.0.1:$port/healthz" 60; then
  cat "$data/ferry.log" >&2
  die "Ferry did not start"
fi

say "Playwright against $dir Ferry at http://127.0.0.1:$port"
status=0
(cd end2end && BASE_URL="http://127.0.0.1:$port" npx playwright test) || status=$?

# SIGTERM must end Ferry promptly and cleanly (graceful shutdown).
kill -TERM "$pid"
code=0
for _ in $(seq 1 80); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
if kill -0 "$pid" 2>/dev/null; then
  echo "Ferry did not stop within 20 s of SIGTERM" >&2; status=1
else
  wait "$pid" || code=$?
  if [ "$code" != 0 ]; then echo "Ferry exited with $code after SIGTERM" >&2; status=1; fi
fi
if grep -qiE 'panicked|ERROR' "$data/ferry.log"; then
  echo "Ferry logged errors during the run:" >&2
  grep -iE 'panicked|ERROR' "$data/ferry.log" >&2
  status=1
fi
exit $status
