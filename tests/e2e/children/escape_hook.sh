#!/bin/sh
# escape_hook.sh OUT TOKEN THEN - an alert hook that leaves three processes
# running behind it, the three usual ways: a background job (`cmd &`), a
# session of its own (`setsid cmd &`) and a daemon's double fork (a shell in
# a new session starts it in the background and exits).  They and the hook
# carry BW_ESCAPE_TOKEN=TOKEN in their environment, and each writes its pid
# to OUT/TOKEN.HOOKPID.KIND (escapee.sh).  Once all three have started, the
# hook writes its /proc/self/cgroup to OUT/TOKEN.HOOKPID.cgroup and its
# stdin (the record) to OUT/TOKEN.HOOKPID.hook, then exits (THEN=exit) or
# sleeps until it is killed (THEN=wait).
out=$1 token=$2 then=$3
escapee="$(dirname "$0")/escapee.sh"
run="$out/$token.$$"
export BW_ESCAPE_TOKEN="$token"
"$escapee" "$run.background" &
setsid "$escapee" "$run.setsid" &
setsid sh -c '"$0" "$1" & exit 0' "$escapee" "$run.daemon" &
for kind in background setsid daemon; do
	while [ ! -s "$run.$kind" ]; do sleep 0.02; done
done
cat /proc/self/cgroup > "$run.cgroup"
cat > "$run.tmp" && mv "$run.tmp" "$run.hook"
if [ "$then" = wait ]; then
	exec sleep 300
fi
exit 0
