#!/usr/bin/env bash
# The whole test suite, on a fresh machine: the two schema validators tests/formats.rs runs
# (SARIF's JSON Schema and the Ant JUnit XSD, through tests/validate.py) come from PyPI, so they
# are installed first when missing; then the workspace's tests (the plugin and the loopback API
# server its live tests start). Extra arguments go to cargo test.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -c 'import jsonschema, xmlschema' >/dev/null 2>&1; then
    python3 -m pip install --quiet --disable-pip-version-check jsonschema==4.26.0 xmlschema==4.3.2
fi
exec cargo test --workspace --locked "$@"
