# tests/cli/lib.sh - sourced by every CLI test script (git's t/ style).
# Output is TAP: "ok N - what" / "not ok N - what"; tests/run.sh counts it.
#
#   test_expect_success 'what' 'commands'   # commands must succeed
#   test_expect_code N 'what' 'commands'    # commands must exit N
#   test_must_fail cmd...                   # cmd exits non-zero (not by signal)
#   test_cmp expected actual                # diff -u
#
# Each script gets an empty scratch directory as $TRASH (cwd) and the
# tools on PATH from $FT_BIN.  FT_TOP is the source tree.
set -u
FT_TOP=${FT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
FT_BIN=${FT_BIN:-$FT_TOP/bin}
FT_BUILD=${FT_BUILD:-$FT_TOP/build}
PATH=$FT_BIN:$FT_BUILD/tests/tools:$PATH
export FT_TOP FT_BIN FT_BUILD PATH
PY=/usr/bin/python3
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/ft-test.XXXXXX")
trap 'cd /; rm -rf "$TRASH"' EXIT
cd "$TRASH" || exit 1
test_count=0
test_failed=0

_test_report() { # rc what
  test_count=$((test_count + 1))
  if [ "$1" -eq 0 ]; then
    echo "ok $test_count - $2"
  else
    echo "not ok $test_count - $2"
    test_failed=$((test_failed + 1))
    [ -s "$TRASH/.out" ] && sed 's/^/#   /' "$TRASH/.out" | tail -n 30
  fi
}

test_expect_success() {
  (eval "$2") >"$TRASH/.out" 2>&1
  _test_report $? "$1"
}

test_expect_code() {
  want=$1
  (eval "$3") >"$TRASH/.out" 2>&1
  got=$?
  if [ "$got" -ne "$want" ]; then
    echo "expected exit $want, got $got" >>"$TRASH/.out"
    _test_report 1 "$2"
  else
    _test_report 0 "$2"
  fi
}

test_must_fail() {
  "$@"
  rc=$?
  if [ "$rc" -eq 0 ]; then echo "test_must_fail: '$*' succeeded"; return 1; fi
  if [ "$rc" -gt 128 ]; then echo "test_must_fail: '$*' died by signal"; return 1; fi
  return 0
}

test_cmp() { diff -u "$1" "$2"; }

# grep that prints what it searched on failure
test_grep() {
  if ! grep "$@"; then
    eval "last=\${$#}"
    echo "test_grep: no match for '$*'; content:"; cat "$last" 2>/dev/null
    return 1
  fi
}

# mkpcap LINKTYPE OUT: a real libpcap capture from tests/tools/pkt.py
# expressions on stdin (one frame per line)
mkpcap() {
  $PY "$FT_TOP/tests/tools/pkt.py" | pcap-from-hex "$@"
}

# check_records WANT GOT: the JSON lines in GOT (ft-cat -F json) match the
# expected objects in WANT (Python literals, one per line): same count,
# every stated field equal
check_records() {
  $PY - "$1" "$2" <<-\PY
	import ast, json, sys
	want = [ast.literal_eval(l) for l in open(sys.argv[1]) if l.strip()]
	got = [json.loads(l) for l in open(sys.argv[2])]
	assert len(got) == len(want), "%d records, want %d: %s" % (len(got), len(want), got)
	for i, (w, g) in enumerate(zip(want, got)):
	    for k, v in w.items():
	        assert g[k] == v, "record %d: %s = %r, want %r (%s)" % (i, k, g[k], v, g)
	PY
}

# run_in_pty OUT CMD...: runs CMD on a pseudo-terminal (stdout is a tty),
# writes what it printed to OUT and returns its exit status
run_in_pty() {
  $PY - "$@" <<-\PY
	import os, pty, sys
	out = sys.argv[1]
	pid, fd = pty.fork()
	if pid == 0:
	    os.execvp(sys.argv[2], sys.argv[2:])
	data = b""
	while True:
	    try:
	        d = os.read(fd, 4096)
	    except OSError:
	        break
	    if not d:
	        break
	    data += d
	_, st = os.waitpid(pid, 0)
	open(out, "wb").write(data.replace(b"\r\n", b"\n"))
	sys.exit(os.WEXITSTATUS(st))
	PY
}

test_done() {
  echo "1..$test_count"
  [ "$test_failed" -eq 0 ]
}
