#!/bin/sh
# bench/run.sh BIN_DIR BUILD_DIR - run by `make bench` (builds nothing).
#
# Runs $BUILD_DIR/bench/codec_bench: our Avro reader and writer against
# avro-c's generic value API (the baseline, measured in the same run on
# the same records), and the framed stream's round trip against Avro
# deflate's.  Prints one line per measurement, then the RATIOS with their
# targets.  BENCH_RECORDS (default 1000000) and BENCH_REPEAT (default 3,
# best run counts) change the size of the run.
set -u
if [ $# -ne 2 ]; then
  echo "usage: sh bench/run.sh BIN_DIR BUILD_DIR" >&2
  exit 2
fi
build=$2
bench=$build/bench/codec_bench
if [ ! -x "$bench" ]; then
  echo "codec_bench: not built ($bench missing; run 'make bench')"
  exit 1
fi
# Files go to memory (tmpfs) when there is one: this measures the codecs,
# not the disk (the writers fsync on close, and the framed stream, made for
# pipes, is 2.7x the size of a deflate file).  Both sides use the same place.
tmp=${TMPDIR:-/tmp}
[ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] && tmp=/dev/shm
dir=$(mktemp -d "$tmp/ft-bench.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
"$bench" -n "${BENCH_RECORDS:-1000000}" -r "${BENCH_REPEAT:-3}" "$dir"
