#!/bin/sh
# Stand-in for istioctl in tests: checks it is called as
#   manifest generate -f FILE [--revision R]
# records its arguments in $FAKE_ISTIOCTL_LOG (when set) and prints the golden rendered
# output for FILE from rendered/$FAKE_ISTIOCTL_SET/ (1.8 or latest).
PATH=/usr/bin:/bin
here=$(dirname "$0")
[ -n "$FAKE_ISTIOCTL_LOG" ] && echo "$*" >> "$FAKE_ISTIOCTL_LOG"
if [ "$1" != manifest ] || [ "$2" != generate ] || [ "$3" != -f ] || [ -z "$4" ]; then
  echo "fake istioctl: unexpected arguments: $*" >&2; exit 64
fi
if [ $# -ne 4 ] && { [ $# -ne 6 ] || [ "$5" != --revision ]; }; then
  echo "fake istioctl: unexpected arguments: $*" >&2; exit 64
fi
set_dir="$here/rendered/${FAKE_ISTIOCTL_SET:-latest}"
case "$(basename "$4")" in
  all-on.yaml) cat "$set_dir/all_on.golden-show-in-gh-pull-request.yaml" ;;
  pilot-default.yaml) cat "$set_dir/pilot_default.golden.yaml" ;;
  ingressgateway-k8s-settings.yaml) cat "$set_dir/ingressgateway_k8s_settings.golden.yaml" ;;
  *) echo "Error: fake istioctl has no golden for $4" >&2; exit 1 ;;
esac
