#!/bin/sh
# tests/valgrind.sh - the test suite with every tool and unit test run
# under valgrind (memcheck): zero errors, zero definite leaks.
#
#   sh tests/valgrind.sh [BIN_DIR [BUILD_DIR]]     (default bin build)
#
# It makes a shadow of the two directories in $VG_DIR (default
# BUILD_DIR/valgrind): BIN_DIR/ft-* (the compiled ones; scripts are linked
# as they are) and BUILD_DIR/tests/unit/test_* become
# wrapper scripts that exec valgrind on the real program (same pid, so
# signals and kill -9 reach it; stdin, stdout and terminals are the
# program's own), and BUILD_DIR/tests/tools stays native.  tests/run.sh
# then runs the suite with those wrappers.  Valgrind writes one log per
# process into $VG_DIR/logs, never to the program's stderr (tests compare
# stderr); a run with an error exits 99.  Logs without errors are
# deleted; the others are listed at the end.
#
# Set TESTS=pattern as for tests/run.sh.  FT_FAULT_QUICK=1 is exported so
# t1000-fault-injection samples fewer cases.
# Exit status: 0 when every test passed and no run had a valgrind error.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "${1:-$top/bin}" && pwd) || exit 1
build=$(cd "${2:-$top/build}" && pwd) || exit 1
vg=${VG_DIR:-$build/valgrind}
command -v valgrind >/dev/null || { echo "valgrind: not installed (apt-get install valgrind)" >&2; exit 1; }

rm -rf "$vg"
mkdir -p "$vg/bin" "$vg/build/tests/unit" "$vg/logs" || exit 1
# Tests may drop privileges (setpriv to nobody): anyone may add a log.
chmod 1777 "$vg/logs"
ln -s "$build/tests/tools" "$vg/build/tests/tools"
[ -d "$build/tests/fuzz" ] || mkdir -p "$build/tests/fuzz"
ln -s "$build/tests/fuzz" "$vg/build/tests/fuzz"

# wrap REAL WRAPPER
wrap() {
  cat >"$2" <<EOF
#!/bin/sh
exec valgrind --error-exitcode=99 --leak-check=full \\
  --errors-for-leak-kinds=definite --show-leak-kinds=definite \\
  --track-origins=yes --log-file='$vg/logs/%p.log' '$1' "\$@"
EOF
  chmod +x "$2"
}
for t in "$bin"/ft-*; do
  [ -x "$t" ] || continue
  # A script (ft-shard, Python) runs as it is: valgrind would check its
  # interpreter, not our code, and changes how a child that cannot start
  # fails; the tools it starts are found on PATH, wrapped.
  if head -c 4 "$t" | grep -q ELF; then
    wrap "$t" "$vg/bin/${t##*/}"
  else
    ln -s "$t" "$vg/bin/${t##*/}"
  fi
done
for t in "$build"/tests/unit/test_*; do
  case "$t" in *.o|*.d) continue ;; esac
  [ -x "$t" ] && wrap "$t" "$vg/build/tests/unit/${t##*/}"
done

FT_FAULT_QUICK=1 sh "$top/tests/run.sh" "$vg/bin:$vg/build"
rc=$?

# A log whose summary says 0 errors is clean.  A process that died by a
# signal (SIGPIPE from a closed pipe ends our tools by design; kill -9 in
# the tests) may hold memory it never got to free: only its memory errors
# count, not its leaks.  A forked child that exec'd another program has
# no summary either.
runs=0
killed=0
bad=""
memerr='^==[0-9]+== (Invalid|Conditional|Use of uninit|Syscall param|Mismatched|Source and destination|Argument)'
for l in "$vg"/logs/*.log; do
  [ -f "$l" ] || continue
  runs=$((runs + 1))
  if grep -q 'ERROR SUMMARY: 0 errors' "$l"; then
    rm -f "$l"
  elif grep -q -E "$memerr" "$l"; then
    bad="$bad $l"
  elif grep -q 'Process terminating with default action of signal' "$l" ||
       ! grep -q 'ERROR SUMMARY: ' "$l"; then
    killed=$((killed + 1))
    rm -f "$l"
  else
    bad="$bad $l"
  fi
done
nbad=0
for l in $bad; do
  nbad=$((nbad + 1))
  echo "== $l: $(sed -n 's/^==[0-9]*== Command: //p' "$l" | cut -c 1-200)"
  grep -E 'ERROR SUMMARY|definitely lost|Invalid|uninitialised|at 0x|by 0x' "$l" | head -n 20
done
echo "valgrind: $runs runs ($killed ended by a signal or an exec), $nbad with errors or definite leaks"
[ "$rc" -eq 0 ] && [ "$nbad" -eq 0 ]
