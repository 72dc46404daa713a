#!/usr/bin/env bash
# Starts or stops the S3-compatible servers the tests run against, on free loopback
# ports: moto (PyPI) and s3s-fs (crates.io). `start` installs them when missing and
# writes target/s3-servers.env, which the tests read through FERRY_TEST_S3_* variables.
#
#   scripts/s3-servers.sh start     # then: . target/s3-servers.env
#   scripts/s3-servers.sh stop
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

state="$ROOT/target/s3-servers"
envfile="$ROOT/target/s3-servers.env"
ACCESS_KEY="ferrytestkey"
SECRET_KEY="ferrytestsecret0123456789"

stop() {
  for name in moto s3s-fs; do
    if [ -f "$state/$name.pid" ]; then
      kill "$(cat "$state/$name.pid")" 2>/dev/null || true
      rm -f "$state/$name.pid"
    fi
  done
  [ -f "$state/datadir" ] && rm -rf "$(cat "$state/datadir")" "$state/datadir"
  rm -f "$envfile"
}

start() {
  stop
  ensure_moto
  ensure_s3s_fs
  mkdir -p "$state"
  local data moto_port s3s_port
  data="$(mktemp -d -t ferry-s3s.XXXXXX)"
  echo "$data" > "$state/datadir"
  moto_port="$(free_port)"
  s3s_port="$(free_port)"
  setsid "$ROOT/tools/venv/bin/moto_server" -H 127.0.0.1 -p "$moto_port" >"$state/moto.log" 2>&1 </dev/null &
  echo $! > "$state/moto.pid"
  setsid "$ROOT/tools/cargo/bin/s3s-fs" --host 127.0.0.1 --port "$s3s_port" \
    --access-key "$ACCESS_KEY" --secret-key "$SECRET_KEY" "$data" >"$state/s3s-fs.log" 2>&1 </dev/null &
  echo $! > "$state/s3s-fs.pid"
  for pair in "moto:$moto_port" "s3s-fs:$s3s_port"; do
    local name="${pair%%:*}" port="${pair##*:}" ok=0
    for _ in $(seq 1 240); do
      if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; then ok=1; break; fi
      sleep 0.25
    done
    [ $ok = 1 ] || { cat "$state/$name.log" >&2; die "$name did not start on 127.0.0.1:$port"; }
  done
  cat > "$envfile" <<ENV
export FERRY_TEST_S3_MOTO=http://127.0.0.1:$moto_port
export FERRY_TEST_S3_S3SFS=http://127.0.0.1:$s3s_port
export FERRY_TEST_S3_ACCESS_KEY=$ACCESS_KEY
export FERRY_TEST_S3_SECRET_KEY=$SECRET_KEY
ENV
  say "S3 test servers: moto on $moto_port, s3s-fs on $s3s_port ($envfile)"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) die "usage: scripts/s3-servers.sh start|stop" ;;
esac
