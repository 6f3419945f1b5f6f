#!/usr/bin/env bash
# Runs every test: the whole workspace, with the real-broker tier pointed at
# a local tansu broker (started here, stopped at the end). If the broker
# cannot be started, that tier is skipped with a notice outside CI; with
# CI=true the run fails instead (a tier that did not run never passes).
set -euo pipefail
cd "$(dirname "$0")/.."

if address=$(bash scripts/real-broker.sh start); then
  trap 'bash scripts/real-broker.sh stop' EXIT
  export WAYANG_TEST_BROKERS=$address
  echo "real-broker tier: tansu at $address"
elif [ "${CI:-}" = "true" ]; then
  echo "real-broker tier: the local broker did not start, and CI=true requires the tier" >&2
  exit 1
else
  echo "SKIPPED real-broker tier: no local broker (its tests say so too)" >&2
fi
cargo test --workspace "$@"
