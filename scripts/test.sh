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

step "install tools" bash -c '. scripts/lib.sh; ensure_wasm_target; ensure_wasm_bindgen; ensure_wasm_opt; ensure_chromium; ensure_playwright'
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
step "unit, store and server tests" cargo nextest run --locked --no-fail-fast

echo >&2
echo "steps passed: ${#passed[@]}, failed: ${#failed[@]}; took $(( $(date +%s) - started )) s" >&2
if [ ${#failed[@]} -gt 0 ]; then
  printf '  failed: %s\n' "${failed[@]}" >&2
  exit 1
fi
