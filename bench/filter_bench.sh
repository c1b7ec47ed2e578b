#!/bin/sh
# bench/filter_bench.sh BIN_DIR BUILD_DIR - ft-filter against ft-cat --count.
#
# Writes BENCH_RECORDS (default 5000000) generated records
# (tests/recgen.h, via avro-rw) into one deflate Avro file, then times
# `ft-cat --count` (the cost of reading) and `ft-filter EXPR --count` for
# the seed talk's three questions and two heavier filters, all in the
# same run.  Each time is the best of BENCH_REPEAT (default 3) runs.
# Prints, per filter, the ratio to ft-cat --count and the extra
# nanoseconds per record.  The target: ratio close to 1 (the filter costs
# tens of nanoseconds per record next to a read of a few hundred).
#
# Then the tools that write records (framed, and Avro with the null
# codec, into files in the same directory) and the pipe
# `ft-filter | ft-topn`: records copied as read (the default) against
# every record decoded and encoded again (FT_COPY_RECORDS=0), same run;
# both outputs are compared byte for byte.
set -u
if [ $# -ne 2 ]; then
  echo "usage: sh bench/filter_bench.sh BIN_DIR BUILD_DIR" >&2
  exit 2
fi
bin=$1
build=$2
n=${BENCH_RECORDS:-5000000}
repeat=${BENCH_REPEAT:-3}
for p in "$bin/ft-cat" "$bin/ft-filter" "$build/tests/tools/avro-rw"; do
  [ -x "$p" ] || { echo "filter_bench: $p is not built (make test-progs)" >&2; exit 1; }
done
# The file goes to memory when there is room (measures the tools, not the disk).
tmp=${TMPDIR:-/tmp}
[ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] && tmp=/dev/shm
dir=$(mktemp -d "$tmp/ft-filter-bench.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
data=$dir/big.avro
"$build/tests/tools/avro-rw" gen "$n" 42 "$data" deflate || exit 1
echo "data: $n records, $(wc -c <"$data" | tr -d ' ') bytes (deflate)"

now() { date +%s.%N; }
# best TIME of $repeat runs of "$@" (output to $dir/out)
best() {
  b=""
  i=0
  while [ $i -lt "$repeat" ]; do
    t0=$(now)
    "$@" >"$dir/out" || { echo "filter_bench: failed: $*" >&2; exit 1; }
    t1=$(now)
    b=$(awk -v a="$t0" -v z="$t1" -v b="$b" 'BEGIN { t = z - a; if (b == "" || t < b) b = t; printf "%.3f", b }')
    i=$((i + 1))
  done
  echo "$b"
}

base=$(best "$bin/ft-cat" --count "$data")
echo "ft-cat --count: ${base} s ($(cat "$dir/out") records)"
printf '%-60s %8s %9s %7s %10s\n' filter seconds matched ratio "ns/record"
for expr in \
  'common_ttls in 200..255' \
  'src_ip in 130.0.0.0/8' \
  'netacq_country == "RU" and uniq_dst_ips >= 60000' \
  'protocol == tcp and dst_port in {22, 23, 80, 443, 445, 2323, 3389, 8080}' \
  'not (common_srcports in {0..1023} or src_ip in {10.0.0.0/8, 31.0.0.0/8, 62.0.0.0/8, 93.0.0.0/8, 124.0.0.0/8, 155.0.0.0/8, 186.0.0.0/8, 192.168.0.0/16, 172.16.0.0/12}) and time >= "2023-11-14"'
do
  t=$(best "$bin/ft-filter" --count "$expr" "$data")
  awk -v e="$expr" -v t="$t" -v b="$base" -v n="$n" -v m="$(cat "$dir/out")" 'BEGIN {
    if (length(e) > 60) e = substr(e, 1, 57) "...";
    printf "%-60s %8.3f %9d %7.3f %10.1f\n", e, t, m, t / b, (t - b) / n * 1e9 }'
done
t=$(best "$bin/ft-filter" --intersect -e 'netacq_country == "RU"' -e 'uniq_dst_ips >= 60000' "$data")
awk -v t="$t" -v b="$base" -v n="$n" 'BEGIN {
  printf "%-60s %8.3f %9s %7.3f %10.1f\n", "--intersect RU / uniq_dst_ips >= 60000", t, "-", t / b, (t - b) / n * 1e9 }'

echo
echo "writing records: copied (default) vs decoded and encoded again (FT_COPY_RECORDS=0)"
printf '%-60s %8s %8s %7s
' command copied encoded ratio
# best_sh NAME CMD: best time of CMD run by sh (output to $dir/out)
best_sh() { best sh -c "$1"; }
e='common_ttls in 64..255'
for cmd in \
  "'$bin/ft-cat' -F framed '$data'" \
  "'$bin/ft-cat' --codec null -F avro '$data'" \
  "'$bin/ft-filter' -F framed '$e' '$data'" \
  "'$bin/ft-filter' --codec null -F avro '$e' '$data'" \
  "'$bin/ft-filter' -F framed '$e' '$data' | '$bin/ft-topn' -k netacq_country"
do
  tc=$(best_sh "$cmd") && cp "$dir/out" "$dir/copied" &&
  te=$(FT_COPY_RECORDS=0 && export FT_COPY_RECORDS && best_sh "$cmd") || exit 1
  cmp -s "$dir/out" "$dir/copied" || { echo "filter_bench: outputs differ: $cmd" >&2; exit 1; }
  label=$(echo "$cmd" | sed -e "s|'$bin/||g" -e "s|'$data'|FILE|g" -e "s|'||g")
  awk -v l="$label" -v c="$tc" -v e="$te" 'BEGIN {
    if (length(l) > 60) l = substr(l, 1, 57) "...";
    printf "%-60s %8.3f %8.3f %7.3f\n", l, c, e, c / e }'
done
rm -f "$dir/out" "$dir/copied"
