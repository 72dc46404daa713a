#!/usr/bin/env bash
# Builds the console and the ferry binary with plain cargo + wasm-bindgen (+ wasm-opt
# for --release), producing the same target/site layout cargo-leptos does.
#
#   scripts/build-site.sh            debug: target/debug/ferry + target/site
#   scripts/build-site.sh --release  release: target/release/ferry + optimised wasm
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

release=0
[ "${1:-}" = "--release" ] && release=1

ensure_wasm_target
ensure_wasm_bindgen
[ $release = 1 ] && ensure_wasm_opt

site="$ROOT/target/site"
pkg="$site/pkg"
mkdir -p "$pkg"

if [ $release = 1 ]; then
  wasm_profile=(--profile wasm-release); wasm_dir=wasm-release
  server_profile=(--release); server_dir=release
else
  wasm_profile=(); wasm_dir=debug
  server_profile=(); server_dir=debug
fi

say "building the browser bundle ($wasm_dir)"
cargo build -p frontend --lib --target wasm32-unknown-unknown --target-dir target/front "${wasm_profile[@]}"

say "generating JS bindings"
wasm-bindgen --target web --no-typescript --out-dir "$pkg" --out-name ferry \
  "target/front/wasm32-unknown-unknown/$wasm_dir/frontend.wasm"
mv -f "$pkg/ferry_bg.wasm" "$pkg/ferry.wasm"
if [ $release = 1 ]; then
  say "optimising the wasm"
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-reference-types \
    --enable-sign-ext --enable-mutable-globals --enable-multivalue \
    "$pkg/ferry.wasm" -o "$pkg/ferry.opt.wasm"
  mv -f "$pkg/ferry.opt.wasm" "$pkg/ferry.wasm"
fi
cp style/main.css "$pkg/ferry.css"
cp -R public/. "$site/"

say "building the server ($server_dir)"
cargo build -p ferry-server --bin ferry "${server_profile[@]}"

printf 'site: %s (wasm %s bytes)\nbinary: %s\n' "$site" "$(stat -c %s "$pkg/ferry.wasm")" "$ROOT/target/$server_dir/ferry" >&2
