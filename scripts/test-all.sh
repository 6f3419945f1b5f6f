#!/usr/bin/env bash
# Runs every test: the whole workspace, with the real-broker tier pointed at
# a local tansu broker (started here, stopped at the end). If the broker
# cannot be installed (no access to PyPI), that tier is skipped with a notice
# and everything else still runs.
set -euo pipefail
cd "$(dirname "$0")/.."

if address=$(bash scripts/real-broker.sh start); then
  trap 'bash scripts/real-broker.sh stop' EXIT
  export WAYANG_TEST_BROKERS=$address
  echo "real-broker tier: tansu at $address"
else
  echo "real-broker tier: no local broker (tests will say they were skipped)" >&2
fi
cargo test --workspace "$@"
