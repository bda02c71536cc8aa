#!/usr/bin/env bash
# Mutation testing (cargo-mutants) over the code whose every change must move a verdict: the
# status checks, revision resolution, label selectors, suppression, the verdict (every command's
# exit code), the fix planner and the gate. Slow, so not in CI; the score, the equivalent mutants
# and the cost per mutant are recorded in bench/MUTANTS.md.
#
#   scripts/mutants.sh                           # pass 1: every file below, unit tests only
#   scripts/mutants.sh --e2e --iterate           # pass 2: what pass 1 missed, with the e2e tests
#   scripts/mutants.sh -f src/selector.rs        # one file (arguments go to cargo-mutants)
#
# Why two passes: the unit tests (--lib) build and run in ~10 s a mutant; the end-to-end
# binaries (tests/status.rs, properties, fix, gate, partial, suppress) relink the CLI and run it,
# 20-30 s. Test targets go through -C (every cargo invocation), not after `--`: after `--` they
# reach only the test phase, and the build phase would still compile every test binary of the
# crate (30 s a mutant). --profile mutants (Cargo.toml): no debug info, a cheaper link.
#
# Each invocation copies the tree and builds the dependencies once (~5 min on 2 cores). For many
# short runs, keep a scratch copy of the tree and run there with --in-place (bench/MUTANTS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-mutants >/dev/null 2>&1 || cargo install cargo-mutants --locked

tests=(-C --lib)
if [ "${1:-}" = "--e2e" ]; then
    shift
    # partial: the gates' and checks' IR901 path (a partly readable cluster); suppress: the
    # annotations and --config rules end to end; bad_input: fix's flag errors; terminal: fix's
    # question on a terminal.
    for t in status properties fix gate partial suppress bad_input terminal; do
        [ -e "tests/$t.rs" ] && tests+=(-C --test -C "$t")
    done
fi

files=(-f src/verdict.rs -f src/selector.rs -f src/revision.rs -f 'src/checks/*.rs' -f src/suppress.rs
    -f src/mesh.rs -f src/gateway_api.rs -f src/ambient.rs)
for f in src/gate.rs src/remedy.rs src/fix src/fix.rs src/gate src/cmd/gate.rs src/cmd/fix.rs; do
    if [ -e "$f" ]; then
        if [ -d "$f" ]; then files+=(-f "$f/*.rs"); else files+=(-f "$f"); fi
    fi
done
# An explicit -f replaces the list.
for a in "$@"; do
    case "$a" in -f | --file | -f* | --file=*) files=() ;; esac
done

exec nice -n 19 cargo mutants --no-shuffle -j 1 --profile mutants --timeout-multiplier 3 \
    "${files[@]}" "${tests[@]}" "$@"
