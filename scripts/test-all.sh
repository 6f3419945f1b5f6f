#!/usr/bin/env bash
# Runs every test: the whole workspace, then the tiers whose tests are
# #[ignore]d in a plain `cargo test` because they need something outside
# cargo: the Schema Registry interoperability tier against Confluent's own
# Python client (installed into a venv here), the real-broker tier against a
# local tansu broker, and the Spark-cluster tier against a local Apache Spark
# cluster (both started here and stopped at the end). A tier that cannot
# start is reported as skipped outside CI; with CI=true the run fails instead
# (a tier that did not run never passes).
set -euo pipefail
cd "$(dirname "$0")/.."

stops=()
cleanup() {
  for stop in "${stops[@]}"; do bash $stop || true; done
}
trap cleanup EXIT

# The spark platform's cluster mode (feature `connect`, which
# wayang-examples/connect forwards to wayang-spark) is compiled into the
# workspace's tests, so the Spark-cluster tier reuses this build.
cargo test --workspace --features wayang-examples/connect "$@"

if python=$(bash scripts/registry-interop.sh install); then
  echo "registry interoperability tier: Confluent's Python client at $python"
  WAYANG_TEST_PYTHON=$python cargo test -p wayang-kafka --test registry_interop "$@" -- --ignored
elif [ "${CI:-}" = "true" ]; then
  echo "registry interoperability tier: Confluent's Python client could not be installed, and CI=true requires the tier" >&2
  exit 1
else
  echo "SKIPPED registry interoperability tier: Confluent's Python client could not be installed" >&2
fi

if address=$(bash scripts/real-broker.sh start); then
  stops+=("scripts/real-broker.sh stop")
  echo "real-broker tier: tansu at $address"
  # tansu 0.6 does not implement offsets-for-timestamp: that test needs Apache Kafka.
  WAYANG_TEST_BROKERS=$address cargo test -p wayang-kafka --test real_broker "$@" \
    -- --ignored --skip timestamps_bound_reads
elif [ "${CI:-}" = "true" ]; then
  echo "real-broker tier: the local broker did not start, and CI=true requires the tier" >&2
  exit 1
else
  echo "SKIPPED real-broker tier: no local broker could be started" >&2
fi

if address=$(bash scripts/spark-cluster.sh start); then
  stops+=("scripts/spark-cluster.sh stop")
  echo "Spark-cluster tier: a standalone cluster of two workers behind Spark Connect at $address"
  log=$(mktemp)
  WAYANG_TEST_SPARK_REMOTE=$address WAYANG_TEST_SPARK_LOGS=$PWD/target/tools/spark \
    cargo test --workspace --features wayang-examples/connect \
    --test cluster "$@" -- --ignored 2>&1 | tee "$log"
  # A cluster test file compiled without its feature holds no tests: a tier
  # that ran nothing must not pass.
  if grep -q '^running 0 tests' "$log"; then
    echo "Spark-cluster tier: a cluster test binary ran no tests (built without the connect feature?)" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
elif [ "${CI:-}" = "true" ]; then
  echo "Spark-cluster tier: the local Spark cluster did not start, and CI=true requires the tier" >&2
  exit 1
else
  echo "SKIPPED Spark-cluster tier: no local Spark cluster could be started" >&2
fi
