#!/bin/sh
# Runs every unit test (cmocka) and CLI test script (TAP) for each build
# given as BIN_DIR:BUILD_DIR, and ends with one line "N passed, N failed".
# Set TESTS=pattern to run only matching tests (e.g. TESTS=t0100).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
pass=0
fail=0
failed_list=""
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for cfg in "$@"; do
  bin=$(cd "${cfg%%:*}" && pwd)
  build=$(cd "${cfg#*:}" && pwd)
  echo "== tests with $bin"
  for t in "$build"/tests/unit/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    case "$name" in *.o|*.d) continue ;; esac
    case "$name" in *${TESTS:-}*) ;; *) continue ;; esac
    (cd "$top" && FT_BIN="$bin" FT_BUILD="$build" "$t") >"$log" 2>&1
    rc=$?
    cat "$log"
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
    p=${p:-0}; f=${f:-0}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed
    pass=$((pass + p)); fail=$((fail + f))
    [ "$f" -gt 0 ] && failed_list="$failed_list $name($bin)"
  done
  for t in "$top"/tests/cli/t[0-9]*.sh; do
    [ -f "$t" ] || continue
    name=$(basename "$t" .sh)
    case "$name" in *${TESTS:-}*) ;; *) continue ;; esac
    (cd "$top" && FT_BIN="$bin" FT_BUILD="$build" sh "$t") >"$log" 2>&1
    rc=$?
    cat "$log"
    p=$(grep -c '^ok ' "$log")
    f=$(grep -c '^not ok ' "$log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "# $name exited $rc"; fi
    pass=$((pass + p)); fail=$((fail + f))
    [ "$f" -gt 0 ] && failed_list="$failed_list $name($bin)"
  done
done
[ -n "$failed_list" ] && echo "failed:$failed_list"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
