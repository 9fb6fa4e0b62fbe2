#!/bin/sh
# escapee.sh FILE - what a hook leaves behind: writes its pid to FILE, then
# becomes `sleep 300` (the same pid, the same environment).
echo $$ > "$1.tmp" && mv "$1.tmp" "$1" && exec sleep 300
