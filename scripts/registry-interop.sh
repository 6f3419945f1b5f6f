#!/usr/bin/env bash
# Confluent's own Python client (confluent-kafka with its Avro serializer and
# Schema Registry client), the independent peer of the registry
# interoperability tier.
#
#   bash scripts/registry-interop.sh install   # venv under target/tools (once); prints its python
#
# The packages are pinned with hashes in registry-interop-requirements.txt;
# the venv is reused while that file is unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=target/tools/registry-venv
REQUIREMENTS=scripts/registry-interop-requirements.txt
STAMP=$VENV/requirements.sha256

install() {
  local want
  want=$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)
  if [ -x "$VENV/bin/python" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ]; then
    echo "$PWD/$VENV/bin/python"
    return 0
  fi
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  python3 -m venv "$VENV" >&2
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    --only-binary=:all: --require-hashes -r "$REQUIREMENTS" >&2
  "$VENV/bin/python" -c "import confluent_kafka, confluent_kafka.schema_registry.avro; print('confluent-kafka', confluent_kafka.version()[0], file=__import__('sys').stderr)"
  echo "$want" >"$STAMP"
  echo "$PWD/$VENV/bin/python"
}

case "${1:-}" in
  install) install ;;
  *) echo "usage: $0 install" >&2; exit 2 ;;
esac
