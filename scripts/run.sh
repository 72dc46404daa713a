#!/usr/bin/env bash
# Installs what is missing, builds Ferry (release) and runs it with SQLite in ./data.
# The console is at http://127.0.0.1:3000; extra arguments go to `ferry`.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
scripts/build-site.sh --release
say "starting Ferry: open http://127.0.0.1:3000 (Ctrl-C stops it)"
exec "$ROOT/target/release/ferry" "$@"
