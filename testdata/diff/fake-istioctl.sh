#!/bin/sh
# Stand-in for istioctl in tests: records its arguments, checks it was asked to render,
# and prints the golden manifest named by $ISTIOCTL_GOLDEN.
[ -n "$ISTIOCTL_ARGS_LOG" ] && echo "$*" > "$ISTIOCTL_ARGS_LOG"
if [ "$1 $2" != "manifest generate" ]; then
  echo "fake istioctl: unexpected command: $*" >&2
  exit 64
fi
exec cat "$ISTIOCTL_GOLDEN"
