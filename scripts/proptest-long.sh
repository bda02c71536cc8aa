#!/usr/bin/env bash
# The property tests of tests/properties.rs with many more generated cases than CI runs
# (CI keeps the default, small and bounded in time). PROPTEST_CASES overrides every property's
# count; release mode keeps a long run affordable.
set -euo pipefail
cd "$(dirname "$0")/.."
PROPTEST_CASES="${PROPTEST_CASES:-5000}" cargo test --release --test properties -- --nocapture "$@"
