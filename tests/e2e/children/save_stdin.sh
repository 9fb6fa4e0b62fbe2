#!/bin/sh
# save_stdin.sh OUT - an alert hook: saves its stdin (the record) as OUT,
# written under another name first so that OUT appears whole.
cat >"$1.tmp" && mv "$1.tmp" "$1"
