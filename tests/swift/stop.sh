#!/bin/sh
# tests/swift/stop.sh DIR - stops the Swift that start.sh started in DIR
# (only the processes it recorded) and removes DIR.
set -u
. "$(dirname "$0")/lib.sh"
[ $# -eq 1 ] || { echo "usage: sh tests/swift/stop.sh DIR" >&2; exit 2; }
[ -r "$1/env" ] || { echo "swift: $1: not a directory start.sh made" >&2; exit 1; }
swift_stop "$1"
