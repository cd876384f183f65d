#!/usr/bin/env bash
# npm test: the type check and jest side by side, each on its own core for the second or so the
# type check takes; the type check's findings are shown after jest's report, and either failing
# fails the run. Arguments go to jest.
set -uo pipefail
typecheck=$(mktemp)
trap 'rm -f "$typecheck"' EXIT
tsc --noEmit > "$typecheck" 2>&1 &
checker=$!
# Test workers run each file's code briefly in a fresh context, so V8's optimising compiler works
# on code that is thrown away before it pays off: without it the suite takes a tenth less CPU.
# Workers inherit node's flags.
node --max-opt=2 node_modules/jest/bin/jest.js "$@"
tests=$?
wait "$checker"
types=$?
if [ "$types" -ne 0 ]; then
  cat "$typecheck"
  echo "tsc --noEmit failed (exit $types)" >&2
fi
[ "$tests" -eq 0 ] && [ "$types" -eq 0 ]
