#!/usr/bin/env bash
# The fault storms of tests/storm.rs with many more runs than CI makes (CI keeps the default 6
# per scenario and gate, 3 for fix, bounded in time). STORM_RUNS sets the count, STORM_SEED
# replays or moves the seeds; each test prints its runs, requests, faults injected and outcomes.
set -euo pipefail
cd "$(dirname "$0")/.."
STORM_RUNS="${STORM_RUNS:-40}" cargo test --release --test storm -- --nocapture "$@"
