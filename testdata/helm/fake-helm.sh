#!/bin/sh
# Stand-in for helm: records its arguments in $HELM_ARGS_LOG, requires `template`, fails with
# $HELM_FAIL on stderr when set, else prints $HELM_RENDERED.
echo "$*" > "$HELM_ARGS_LOG"
if [ "$1" != "template" ]; then
  echo "Error: unknown command \"$1\" for \"helm\"" >&2
  exit 1
fi
if [ -n "$HELM_FAIL" ]; then
  echo "$HELM_FAIL" >&2
  exit 1
fi
# Shell builtins only: the tests run with PATH=/nonexistent.
while IFS= read -r line || [ -n "$line" ]; do
  printf '%s\n' "$line"
done < "$HELM_RENDERED"
