#!/bin/sh
# bench/upload_bench.sh BIN_DIR - ft-upload against `curl -T` of the same
# file to the same local Swift (tests/swift/lib.sh) in the same run.
#
# Starts a single-node Swift, writes BENCH_MB (default 256) MiB of random
# bytes, then alternates BENCH_REPEAT (default 3) uploads of that file by
#   curl -T          (no verification: what a plain HTTP PUT costs), and
#   ft-upload        (MD5 sent as ETag, the answer's ETag compared, a
#                     HEAD first for the skip check: verification on)
# each to a new object name, and prints the best MB/s of each and the
# ratio ft-upload/curl (target >= 0.9).  A second line does the same with
# --segment-size BENCH_SEG (default BENCH_MB/4 MiB), a Static Large
# Object whose segments are hashed while earlier ones are sent.
set -u
if [ $# -ne 1 ]; then
  echo "usage: sh bench/upload_bench.sh BIN_DIR" >&2
  exit 2
fi
bin=$(cd "$1" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/swift/lib.sh"
mb=${BENCH_MB:-256}
seg=${BENCH_SEG:-$((mb / 4))M}
repeat=${BENCH_REPEAT:-3}
[ -x "$bin/ft-upload" ] || { echo "upload_bench: $bin/ft-upload is not built" >&2; exit 1; }
swift_available || { echo "upload_bench: needs python3-swift and memcached (make deps)" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/ft-upload-bench.XXXXXX") || exit 1
trap 'swift_stop "$dir/sw"; rm -rf "$dir"' EXIT
trap 'exit 1' INT TERM
swift_start "$dir/sw" || exit 1
head -c $((mb * 1048576)) /dev/urandom >"$dir/data" || exit 1
tok=$(curl -s -D - -o /dev/null -H "X-Auth-User: $ST_USER" -H "X-Auth-Key: $ST_KEY" \
      "$ST_AUTH" | tr -d '\r' | sed -n 's/^[Xx]-[Aa]uth-[Tt]oken: //p')
url=http://127.0.0.1:$SWIFT_PROXY_PORT/v1/AUTH_test/bench
curl -s -o /dev/null -X PUT -H "X-Auth-Token: $tok" "$url" || exit 1
cat "$dir/data" >/dev/null # in the page cache for both

now() { date +%s.%N; }
secs() { awk -v a="$1" -v z="$2" 'BEGIN { printf "%.3f", z - a }'; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b < a) ? b : a }'; }

run() { # ID LABEL FT_ARGS...
  id=$1
  label=$2
  shift 2
  bc_=""
  bf=""
  i=0
  while [ $i -lt "$repeat" ]; do
    t0=$(now)
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Auth-Token: $tok" \
           -T "$dir/data" "$url/curl-$id-$i")
    t1=$(now)
    [ "$code" = 201 ] || { echo "upload_bench: curl -T: HTTP $code" >&2; exit 1; }
    "$bin/ft-upload" -q -c bench --as "ft-$id-$i" "$@" "$dir/data" ||
      { echo "upload_bench: ft-upload failed" >&2; exit 1; }
    t2=$(now)
    bc_=$(min "$bc_" "$(secs "$t0" "$t1")")
    bf=$(min "$bf" "$(secs "$t1" "$t2")")
    i=$((i + 1))
  done
  awk -v l="$label" -v mb="$mb" -v c="$bc_" -v f="$bf" 'BEGIN {
    printf "%-26s curl -T %6.1f MB/s  ft-upload %6.1f MB/s  ratio %.2f\n",
           l, mb * 1.048576 / c, mb * 1.048576 / f, c / f }'
}

echo "data: $mb MiB, best of $repeat, local Swift on 127.0.0.1"
# What verification costs at least: one MD5 pass over the file before the
# PUT can start (Swift takes the MD5 only as a request header).
t0=$(now); openssl md5 "$dir/data" >/dev/null; t1=$(now)
md5s=$(secs "$t0" "$t1")
echo "MD5 of the file (openssl md5): $md5s s"
run plain "plain object"
awk -v mb="$mb" -v c="$bc_" -v m="$md5s" 'BEGIN {
  printf "%-26s (one MD5 pass before the PUT bounds the ratio at %.2f here)\n",
         "", c / (c + m) }'
run slo "SLO, segments of $seg" --segment-size "$seg"

