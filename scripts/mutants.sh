#!/usr/bin/env bash
# Mutation testing (cargo-mutants) over the code whose every change must move a verdict: the
# status checks, revision resolution, label selectors, and (once present) the fix planner and the
# gate's exit logic. Slow, so not in CI; the score and the equivalent mutants are recorded in
# bench/MUTANTS.md.
#
#   scripts/mutants.sh                 # every file below
#   scripts/mutants.sh -f src/selector.rs   # one file (extra arguments go to cargo-mutants)
#
# The tests that cover these files: the unit tests beside them (--lib), the scenario runs
# (tests/status.rs), the property tests (tests/properties.rs) and, for fix and gate, their own
# end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-mutants >/dev/null 2>&1 || cargo install cargo-mutants --locked

files=(-f 'src/checks/*.rs' -f src/mesh.rs -f src/gateway_api.rs -f src/ambient.rs -f src/revision.rs -f src/selector.rs)
tests=(--lib --test status --test properties)
for f in src/remedy.rs src/fix src/fix.rs src/gate src/gate.rs src/cmd/gate.rs src/cmd/fix.rs; do
    if [ -e "$f" ]; then
        if [ -d "$f" ]; then files+=(-f "$f/*.rs"); else files+=(-f "$f"); fi
    fi
done
[ -e tests/fix.rs ] && tests+=(--test fix)
[ -e tests/gate.rs ] && tests+=(--test gate)
if [ "$#" -gt 0 ]; then files=("$@"); fi

exec cargo mutants --no-shuffle --timeout-multiplier 3 "${files[@]}" -- "${tests[@]}"
