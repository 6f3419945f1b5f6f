#!/usr/bin/env bash
# A local Apache Spark cluster on 127.0.0.1: a standalone Master, two Workers
# (1 core, 1 GB each) and a Spark Connect server, the stand for running the
# `spark` platform's stages on a real Spark cluster.
#
#   bash scripts/spark-cluster.sh install   # pyspark (pinned, hash-checked) into target/tools/spark-venv
#   bash scripts/spark-cluster.sh start     # starts everything; prints the sc://127.0.0.1:PORT address
#   bash scripts/spark-cluster.sh stop      # stops everything, by pid
#   bash scripts/spark-cluster.sh status    # what runs, and the address
#   bash scripts/spark-cluster.sh client    # PySpark's Connect client into the venv (for the bench); prints its python
#
# Spark comes from PyPI's pyspark, which ships all of Spark (jars, spark-class,
# the Connect server); it runs on Java 17, installed with apt-get if missing.
# Logs, event logs (what Spark's UI and history server show), executors'
# work directories and pid files are under target/tools/spark/.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS=target/tools
VENV=$TOOLS/spark-venv
STATE=$TOOLS/spark
PYSPARK_VERSION=4.3.0
PYSPARK_SHA256=e8c517948eff7088a7aa07449aa8eafa4a15a8d50319de2525a6fd26622476c6
PY4J_VERSION=0.10.9.9
PY4J_SHA256=c7c26e4158defb37b0bb124933163641a2ff6e3a3913f7811b0ddbe07ed61533

log() { printf 'spark-cluster: %s\n' "$*" >&2; }

install_java() {
  command -v java >/dev/null 2>&1 && return 0
  log "installing Java 17 (openjdk-17-jre-headless)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq openjdk-17-jre-headless >/dev/null
}

install() {
  install_java
  if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import pyspark" 2>/dev/null; then
    return 0
  fi
  mkdir -p "$STATE"
  log "installing pyspark $PYSPARK_VERSION into $VENV (a 456 MB download)"
  python3 -m venv "$VENV"
  cat >"$STATE/requirements.txt" <<REQ
pyspark==$PYSPARK_VERSION --hash=sha256:$PYSPARK_SHA256
py4j==$PY4J_VERSION --hash=sha256:$PY4J_SHA256
REQ
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --require-hashes \
    -r "$STATE/requirements.txt"
}

# PySpark's Spark Connect client (pyspark[connect]'s dependencies), pinned,
# for the cluster bench's PySpark side.
client() {
  install
  mkdir -p "$STATE"
  cat >"$STATE/client-requirements.txt" <<REQ
pandas==2.2.3
pyarrow==18.1.0
numpy==2.4.6
grpcio==1.85.3
grpcio-status==1.85.3
googleapis-common-protos==1.76.0
protobuf==7.36.2
zstandard==0.25.0
python-dateutil==4.0.0
pytz==2026.6
tzdata==2026.6
REQ
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$STATE/client-requirements.txt"
  "$VENV/bin/python" -c "import pyspark.sql.connect.session" >/dev/null
  echo "$PWD/$VENV/bin/python"
}

spark_home() {
  "$VENV/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))'
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Waits until 127.0.0.1:$1 accepts connections, for at most $2 seconds.
wait_port() {
  python3 - "$1" "$2" <<'PY'
import socket, sys, time
port, deadline = int(sys.argv[1]), time.time() + float(sys.argv[2])
while time.time() < deadline:
    try:
        socket.create_connection(("127.0.0.1", port), 0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.2)
sys.exit(1)
PY
}

# Waits until the master at web UI port $1 lists $2 alive workers.
wait_workers() {
  python3 - "$1" "$2" <<'PY'
import json, sys, time, urllib.request
port, wanted, deadline = int(sys.argv[1]), int(sys.argv[2]), time.time() + 60
while time.time() < deadline:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/", timeout=2) as answer:
            if json.load(answer).get("aliveworkers", 0) >= wanted:
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.5)
sys.exit(1)
PY
}

start() {
  install
  stop_quietly
  # Scratch space (executors' copies of uploaded programs, shuffle files,
  # caches, the Connect server's artifacts) stays under $STATE, emptied at
  # every start and stop: a debug build's test binary is hundreds of MB.
  rm -rf "$STATE/work" "$STATE/local" "$STATE/tmp"
  mkdir -p "$STATE/logs" "$STATE/work" "$STATE/events" "$STATE/local" "$STATE/tmp"
  local home master_port master_ui connect_port
  home=$(spark_home)
  master_port=$(free_port)
  master_ui=$(free_port)
  # spark-class execs java, so $! is the JVM: stop each by that pid.
  "$home/bin/spark-class" org.apache.spark.deploy.master.Master \
    --host 127.0.0.1 --port "$master_port" --webui-port "$master_ui" \
    >"$STATE/logs/master.log" 2>&1 &
  echo $! >"$STATE/master.pid"
  wait_port "$master_port" 60 || { log "the master did not start; see $STATE/logs/master.log"; stop_quietly; return 1; }
  for worker in 1 2; do
    "$home/bin/spark-class" org.apache.spark.deploy.worker.Worker \
      --host 127.0.0.1 --cores 1 --memory 1g --webui-port "$(free_port)" \
      --work-dir "$STATE/work/worker-$worker" "spark://127.0.0.1:$master_port" \
      >"$STATE/logs/worker-$worker.log" 2>&1 &
    echo $! >"$STATE/worker-$worker.pid"
  done
  wait_workers "$master_ui" 2 || { log "the workers did not register; see $STATE/logs/"; stop_quietly; return 1; }
  connect_port=$(free_port)
  SPARK_PID_DIR=$STATE SPARK_LOG_DIR=$STATE/logs "$home/sbin/start-connect-server.sh" \
    --master "spark://127.0.0.1:$master_port" \
    --driver-memory 2g --driver-java-options "-Djava.io.tmpdir=$PWD/$STATE/tmp" \
    --conf "spark.local.dir=$PWD/$STATE/local" \
    --conf "spark.executor.extraJavaOptions=-Djava.io.tmpdir=$PWD/$STATE/tmp" \
    --conf spark.executor.memory=512m --conf spark.executor.cores=1 \
    --conf spark.sql.shuffle.partitions=2 --conf spark.ui.enabled=false \
    --conf spark.eventLog.enabled=true --conf "spark.eventLog.dir=file://$PWD/$STATE/events" \
    --conf spark.eventLog.compress=false \
    --conf spark.connect.grpc.binding.address=127.0.0.1 \
    --conf "spark.connect.grpc.binding.port=$connect_port" >"$STATE/logs/connect-start.log" 2>&1
  wait_port "$connect_port" 120 || { log "the Connect server did not start; see $STATE/logs/"; stop_quietly; return 1; }
  echo "sc://127.0.0.1:$connect_port" >"$STATE/address"
  cat "$STATE/address"
}

stop_quietly() {
  stop_processes
  rm -rf "$STATE/work" "$STATE/local" "$STATE/tmp"
}

stop_processes() {
  # The Connect server first (its pid file is written by Spark's daemon
  # script), then the workers (their executors go with them), then the
  # master; then wait until every one has exited (30 s, then SIGKILL).
  local pidfile pids=()
  for pidfile in "$STATE"/spark-*SparkConnectServer*.pid "$STATE"/worker-*.pid "$STATE"/master.pid; do
    [ -f "$pidfile" ] || continue
    pids+=("$(cat "$pidfile")")
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  done
  rm -f "$STATE/address"
  local waited=0 pid alive
  while [ "${#pids[@]}" -gt 0 ] && [ "$waited" -lt 300 ]; do
    alive=()
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null && alive+=("$pid")
    done
    [ "${#alive[@]}" -eq 0 ] && return 0
    pids=("${alive[@]}")
    sleep 0.1
    waited=$((waited + 1))
  done
  for pid in "${pids[@]}"; do
    kill -9 "$pid" 2>/dev/null || true
  done
}

status() {
  local pidfile
  for pidfile in "$STATE"/spark-*SparkConnectServer*.pid "$STATE"/worker-*.pid "$STATE"/master.pid; do
    [ -f "$pidfile" ] || continue
    if kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "running: $(basename "$pidfile" .pid) (pid $(cat "$pidfile"))"
    else
      echo "gone: $(basename "$pidfile" .pid)"
    fi
  done
  [ -f "$STATE/address" ] && cat "$STATE/address"
  return 0
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop_quietly ;;
  status) status ;;
  client) client ;;
  *) echo "usage: $0 install|start|stop|status|client" >&2; exit 2 ;;
esac
