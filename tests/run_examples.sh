#!/bin/sh
# Smoke-runs every example: the C hosts built by `make examples` into
# BUILD/examples/, the Python hosts against BUILD's shared library, and the
# workflows that run with the exec worker (through `python3 -m symphony run`,
# and through BUILD/symphony when it has the run command). Each must exit 0.
# Run from the repository root:  sh tests/run_examples.sh [BUILD]
set -u
build=${1:-build}
python=${PYTHON:-python3}
SYMPHONY_LIBRARY="$(cd "$build" && pwd)/libsymphony.so"
PYTHONPATH="$(pwd)/bindings/python${PYTHONPATH:+:$PYTHONPATH}"
export SYMPHONY_LIBRARY PYTHONPATH
log=$(mktemp)
trap 'rm -f "$log"' EXIT
failed=0 ran=0

smoke() { # smoke NAME COMMAND...
    name=$1; shift
    ran=$((ran + 1))
    if "$@" >"$log" 2>&1; then
        echo "ok   $name"
    else
        echo "FAIL $name (exit $?): $*"
        sed 's/^/     | /' "$log" | tail -20
        failed=$((failed + 1))
    fi
}

n=0
for prog in "$build"/examples/*; do
    [ -x "$prog" ] || continue
    smoke "$prog" "$prog"
    n=$((n + 1))
done
if [ "$n" -eq 0 ]; then
    echo "run_examples: no C examples in $build/examples (run make examples)"
    exit 1
fi
for py in examples/*.py; do
    smoke "$py" "$python" "$py"
done
for wf in examples/etl-pipeline.yaml examples/build-release.yaml examples/data-flow.yaml; do
    smoke "python3 -m symphony run $wf" "$python" -m symphony run -q "$wf"
    if "$build/symphony" run --help >/dev/null 2>&1; then
        smoke "symphony run $wf" "$build/symphony" run "$wf"
    fi
done
echo "examples: $((ran - failed)) of $ran ran cleanly"
[ "$failed" -eq 0 ]
