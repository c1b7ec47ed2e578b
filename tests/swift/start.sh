#!/bin/sh
# tests/swift/start.sh [DIR] - starts a single-node Swift (see lib.sh) with
# its state in DIR (default: a new temporary directory) and prints the sh
# lines to use it:   eval "$(sh tests/swift/start.sh)"
# Stop it with:      sh tests/swift/stop.sh "$SWIFT_DIR"
set -u
. "$(dirname "$0")/lib.sh"
swift_available || { echo "swift: needs python3-swift and memcached (make deps)" >&2; exit 1; }
dir=${1:-$(mktemp -d "${TMPDIR:-/tmp}/ft-swift.XXXXXX")} || exit 1
swift_start "$dir" >&2 || exit 1
cat "$dir/env"
