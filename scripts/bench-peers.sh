#!/usr/bin/env bash
# Peer benchmark (figures, not a test): `ferry migrate` against `rclone copy` streaming
# between two remotes (rclone-stream), timed by the shared peer harness in the same
# run: objects/s, MiB/s and client CPU seconds per shape. Ferry hashes every object
# (SHA-256), verifies each copy and records every item and document in its database,
# which is kept across the runs, as in real use.
#
#   scripts/bench-peers.sh
#
# Knobs: FERRY_PEER_BENCH (the harness, default ../shared/bench), FERRY_PEER_PLAN
# (default "s3s-fs:small,medium garage:large": server:shapes, space-separated),
# PEERS (default rclone-stream), RUNS / RUNS_LARGE, FERRY_BENCH_CONCURRENCY (32).
# The harness installs its servers and peers on first use (garage takes ~25 min to
# build on 2 cores); data lives on tmpfs ($TMPDIR, default /dev/shm).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

bench="${FERRY_PEER_BENCH:-$ROOT/../shared/bench}"
[ -x "$bench/peers.sh" ] || die "no peer harness at $bench (set FERRY_PEER_BENCH)"
bench="$(cd "$bench" && pwd)"
export TMPDIR="${TMPDIR:-/dev/shm}"
export PEERS="${PEERS:-rclone-stream}"
plan="${FERRY_PEER_PLAN:-s3s-fs:small,medium garage:large}"
workers="${FERRY_BENCH_CONCURRENCY:-32}"

say "building ferry (release)"
cargo build --release --locked -p ferry-server --bin ferry >&2
work="$(mktemp -d "$TMPDIR/ferry-peers.XXXXXX")"
running=""
cleanup() {
  [ -n "$running" ] && "$bench/s3-server.sh" stop "$running" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

# The hook the harness times: one `ferry migrate` per run, same keys, same bucket pair.
cat >"$work/ours.sh" <<EOF
#!/usr/bin/env bash
set -euo pipefail
exec "$ROOT/target/release/ferry" --data-dir "$work/ferry" --log-level warn migrate \\
  --from "s3://\$SRC_BUCKET/\$1/" --to "s3://\$DST_BUCKET/\$1/" --endpoint "\$S3_ENDPOINT" \\
  --concurrency $workers --overwrite overwrite --progress none
EOF
chmod +x "$work/ours.sh"
export FERRY_MASTER_KEY="${FERRY_MASTER_KEY:-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')}"

for step in $plan; do
  server="${step%%:*}"
  shapes="${step#*:}"; shapes="${shapes//,/ }"
  say "$server: starting (data on $TMPDIR)"
  eval "$("$bench/s3-server.sh" start "$server")"
  running="$server"
  SHAPES="$shapes" "$bench/seed-data.sh" >&2
  echo "# ferry $(git rev-parse --short HEAD), $workers objects in flight, SHA-256 verified, SQLite catalog kept"
  OURS_CMD="\"$work/ours.sh\" \"\$SHAPE\"" SHAPES="$shapes" "$bench/peers.sh"
  "$bench/s3-server.sh" stop "$server" >/dev/null
  running=""
done
