#!/bin/sh
# tests/fuzz/run.sh - builds the libFuzzer harnesses (tests/fuzz/fuzz_*.c)
# and runs each one for SECONDS.
#
#   sh tests/fuzz/run.sh SECONDS [HARNESS...]    e.g. 30, or 600 fuzz_avro
#
# Harnesses and common/*.c are built with clang -fsanitize=fuzzer,address,
# undefined into $FUZZ_BUILD (default build-fuzz/); a common/*.c that does
# not compile (work in progress) is left out with a warning, and only a
# harness that needs it then fails to link.  Each harness first replays its
# whole seed corpus (tests/fuzz/corpus/HARNESS/, which keeps every crasher
# found so far as a regression test), then fuzzes for SECONDS from the
# seeds plus what earlier runs found ($FUZZ_BUILD/corpus/HARNESS/), with
# tests/fuzz/HARNESS.dict when present.
#
# A crash, a sanitizer report, a leak (but those in tests/fuzz/lsan.supp,
# inside third-party libraries), an input slower than $FUZZ_TIMEOUT
# seconds (default 10) or one needing more than $FUZZ_RSS_MB (default
# 2048) makes it fail: the message names the harness and the input file
# (kept in $FUZZ_BUILD/artifacts/) and shows its first bytes in hex.
# FUZZ_RUNS=N runs each harness for N executions instead (SECONDS is then
# ignored, pass 0): counts are what a long run is judged by.  libFuzzer's
# timeout is wall-clock time: a run sharing its cores (e.g. under
# `chrt -i 0`) needs a larger FUZZ_TIMEOUT, and then a replay of its
# corpus with the default one.
# Exit status: 0 all passed, 1 a harness failed or did not build, 2 usage.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
[ $# -ge 1 ] || { echo "usage: $0 SECONDS [HARNESS...]" >&2; exit 2; }
secs=$1; shift
case "$secs" in ''|*[!0-9]*) echo "$0: SECONDS must be a number" >&2; exit 2 ;; esac
runs_limit=${FUZZ_RUNS:-}
case "$runs_limit" in *[!0-9]*) echo "$0: FUZZ_RUNS must be a number" >&2; exit 2 ;; esac

out=${FUZZ_BUILD:-build-fuzz}
timeout=${FUZZ_TIMEOUT:-10}
rss=${FUZZ_RSS_MB:-2048}
if [ -n "${FUZZ_CC:-}" ]; then cc=$FUZZ_CC
elif command -v clang >/dev/null 2>&1; then cc=clang
elif command -v clang-14 >/dev/null 2>&1; then cc=clang-14
else echo "fuzz: clang not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 1
fi
cflags="-g -O1 -std=c11 -D_DEFAULT_SOURCE -D_FILE_OFFSET_BITS=64 -DFT_VERSION=\"fuzz\" -Icommon -fno-omit-frame-pointer -fno-sanitize-recover=all"
libs="-lpcap -lmaxminddb -ldeflate -ljansson -lsnappy -lz -lm -lpthread"
mkdir -p "$out/common" "$out/artifacts" "$out/corpus" || exit 1
# Known leaks inside third-party libraries (each explained in the file).
LSAN_OPTIONS="suppressions=$top/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS

# ---- build: objects rebuilt when their .c or any common header is newer
newest_h=$(ls -t common/*.h | head -n 1)
objs=""
for c in common/*.c; do
  o=$out/${c%.c}.o
  if [ ! -f "$o" ] || [ "$c" -nt "$o" ] || [ "$newest_h" -nt "$o" ]; then
    if ! $cc $cflags -fsanitize=fuzzer-no-link,address,undefined -c -o "$o" "$c" \
         2>"$out/cc.log"; then
      echo "fuzz: warning: $c does not compile; left out" >&2
      sed 's/^/    /' "$out/cc.log" | head -n 5 >&2
      rm -f "$o"
      continue
    fi
  fi
  objs="$objs $o"
done
rm -f "$out/libfttools-fuzz.a"
ar rcs "$out/libfttools-fuzz.a" $objs || exit 1

harnesses=${*:-$(ls tests/fuzz/fuzz_*.c | sed 's|.*/||; s|\.c$||')}
status=0
for h in $harnesses; do
  h=${h%.c}; h=${h##*/}
  src=tests/fuzz/$h.c
  [ -f "$src" ] || { echo "fuzz: no harness $src" >&2; status=1; continue; }
  if ! $cc $cflags -D_GNU_SOURCE -Wall -Wextra -Werror -fsanitize=fuzzer,address,undefined -o "$out/$h" "$src" \
       "$out/libfttools-fuzz.a" $libs 2>"$out/cc.log"; then
    echo "FAIL $h: does not build" >&2
    sed 's/^/    /' "$out/cc.log" | head -n 20 >&2
    status=1
    continue
  fi
done
[ "$status" -eq 0 ] || exit 1

# ---- run
report() { # harness log
  f=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$2" | tail -n 1)
  what=$(grep -m 1 -E '^==[0-9]+==ERROR|runtime error|^==[0-9]+== ERROR|ERROR: libFuzzer|bad error message|lookup [0-9]' "$2")
  echo "FAIL $1: ${what:-exit status $3}"
  if [ -n "$f" ] && [ -f "$f" ]; then
    echo "  input: $f ($(wc -c <"$f") bytes)"
    od -An -tx1 -v "$f" | head -n 8 | sed 's/^/  /'
  fi
  echo "  log: $2"
  grep -E '^ +#[0-9]+ ' "$2" | grep -v -E 'fuzzer::|__sanitizer|libc\.so|abort|raise' | head -n 12 | sed 's/^/  /'
}

for h in $harnesses; do
  h=${h%.c}; h=${h##*/}
  seeds=tests/fuzz/corpus/$h
  work=$out/corpus/$h
  mkdir -p "$work" "$seeds"
  dict=""
  [ -f "tests/fuzz/$h.dict" ] && dict="-dict=tests/fuzz/$h.dict"
  opts="-timeout=$timeout -rss_limit_mb=$rss -artifact_prefix=$out/artifacts/$h- -print_final_stats=1"
  log=$out/$h.log
  # Regression: every seed (and every crasher kept there) must pass.
  "$out/$h" $opts -runs=0 "$seeds" >"$log" 2>&1
  rc=$?
  if [ "$rc" -ne 0 ]; then
    report "$h" "$log" "$rc"; status=1; continue
  fi
  if [ -n "$runs_limit" ]; then limit="-runs=$runs_limit"; else limit="-max_total_time=$secs"; fi
  t0=$(date +%s)
  "$out/$h" $opts $dict $limit "$work" "$seeds" >"$log" 2>&1
  rc=$?
  took=$(( $(date +%s) - t0 ))
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
  if [ "$rc" -ne 0 ]; then
    report "$h" "$log" "$rc"; status=1; continue
  fi
  echo "ok $h: ${runs:-?} runs in ${took}s, coverage ${cov:-?}, corpus $(ls "$work" | wc -l)+$(ls "$seeds" | wc -l)"
done
exit $status
