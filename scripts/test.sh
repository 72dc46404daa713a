#!/usr/bin/env bash
# Runs every check and test: formatting, lints (server and browser builds), the end-to-end
# suite in Chromium against debug and release builds, then unit, store (SQLite, and
# PostgreSQL when one answers) and server tests. Installs what is missing first.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

started=$(date +%s)
failed=()
passed=()
step() {
  local name="$1"; shift
  say "$name"
  local t0=$(date +%s)
  if "$@"; then passed+=("$name"); else failed+=("$name"); echo "FAILED: $name" >&2; fi
  echo "   ($name took $(( $(date +%s) - t0 )) s)" >&2
}

step "install tools" bash -c '. scripts/lib.sh; ensure_wasm_target; ensure_wasm_bindgen; ensure_wasm_opt; ensure_chromium; ensure_playwright; ensure_moto; ensure_s3s_fs'
step "cargo fmt" cargo fmt --all --check
step "clippy (server build)" cargo clippy --all-targets --locked -- -D warnings
step "clippy (browser build)" cargo clippy -p frontend -p app --target wasm32-unknown-unknown \
  --target-dir target/front --locked -- -D warnings
step "build (debug)" scripts/build-site.sh
step "end-to-end (debug)" scripts/e2e.sh
step "build (release)" scripts/build-site.sh --release
step "end-to-end (release)" scripts/e2e.sh --release

if [ -z "${TEST_DATABASE_URL:-}" ]; then
  if command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; then
    export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:5432/test"
  else
    echo "NOTE: no PostgreSQL at 127.0.0.1:5432 and TEST_DATABASE_URL unset:" \
         "the PostgreSQL store and server tests will report SKIPPED." >&2
  fi
fi
[ -n "${TEST_DATABASE_URL:-}" ] && say "PostgreSQL tests use ${TEST_DATABASE_URL%%\?*}"
# The S3 provider's conformance suite runs against real servers on loopback ports.
if scripts/s3-servers.sh start; then
  . target/s3-servers.env
  trap 'scripts/s3-servers.sh stop' EXIT
else
  failed+=("start S3 test servers")
fi
step "unit, store, provider and server tests" cargo nextest run --locked --no-fail-fast

echo
echo "scripts/test.sh took $(( $(date +%s) - started )) s"
[ ${#failed[@]} -gt 0 ] && printf '  failed step: %s\n' "${failed[@]}"
echo "steps: ${#passed[@]} passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
