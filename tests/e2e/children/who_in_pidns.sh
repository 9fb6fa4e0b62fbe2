#!/bin/sh
# who_in_pidns.sh PYTHON BINDWATCH PORT - run inside a new pid namespace:
# starts a listener on 127.0.0.1:PORT (children/listen_sleep.py) in the
# background, then asks `bindwatch who PORT/tcp` until it names a holder
# (for up to 10 s); exits with who's status, 1 if it never did.
dir=$(dirname "$0")
"$1" "$dir/listen_sleep.py" "$3" &
for _ in $(seq 100); do
	"$2" who "$3/tcp" && exit 0
	sleep 0.1
done
exit 1
