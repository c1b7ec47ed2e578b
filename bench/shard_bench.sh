#!/bin/sh
# bench/shard_bench.sh BIN_DIR BUILD_DIR - ft-shard --local -j 2 against
# one process, same queries, same data, same run.
#
# Generates BENCH_PACKETS (default 24000000) packets of telescope traffic
# over a day (telescope-gen), aggregates them with country and AS tags
# into a STARDUST-layout dataset (288 interval files), then times the
# three DUST questions and a top-N by packets, each as one process over
# `--dataset` and as `ft-shard -N 2 --local -j 2`, and checks that both
# print the same bytes.  Each time is the best of BENCH_REPEAT (default
# 3) runs.  Target: >= 1.7x on two idle cores (the shards split the
# reading; the merge of partials is small next to it).  The load of the
# machine is printed, since other work on the cores eats the speed-up.
set -u
if [ $# -ne 2 ]; then
  echo "usage: sh bench/shard_bench.sh BIN_DIR BUILD_DIR" >&2
  exit 2
fi
bin=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
packets=${BENCH_PACKETS:-24000000}
repeat=${BENCH_REPEAT:-3}
shard=$bin/ft-shard
[ -x "$shard" ] || shard=$top/scripts/ft-shard
for p in "$bin/ft-aggregate" "$bin/ft-topn" "$build/tests/tools/telescope-gen"; do
  [ -x "$p" ] || { echo "shard_bench: $p is not built (make test-progs)" >&2; exit 1; }
done
PATH=$bin:$PATH
export PATH
tmp=${TMPDIR:-/tmp}
[ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] && tmp=/dev/shm
dir=$(mktemp -d "$tmp/ft-shard-bench.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1

awk 'BEGIN { split("RU CN US BR TH DE NL SC CY IN", c, " ")
  for (i = 1; i < 224; i++) printf "%d.0.0.0,%d.255.255.255,%s\n", i, i, c[i % 10 + 1] }' >netacq.csv
awk 'BEGIN { for (i = 1; i < 224; i++) for (j = 0; j < 4; j++)
  printf "%d.%d.0.0,%d.%d.255.255,%d\n", i, j * 64, i, j * 64 + 63, 64500 + i * 4 + j }' >pfx2as.csv
"$build/tests/tools/telescope-gen" --packets "$packets" --duration 86400 -w - |
  ft-aggregate --quiet --netacq netacq.csv --pfx2as pfx2as.csv -r - \
    -w 'ds/datasource=bench/year=%Y/month=%m/day=%d/hour=%H/bench_%s.ft4.avro' || exit 1
echo "data: $(ft-cat --count --dataset ds) records in $(find ds -type f | wc -l) files, $(du -sk ds | cut -f1) KiB"

now() { date +%s.%N; }
# best NAME CMD...: best wall time of $repeat runs, output to NAME.out
best() {
  name=$1; shift
  b=""
  i=0
  while [ $i -lt "$repeat" ]; do
    t0=$(now)
    sh -c "$*" >"$name.out" || { echo "shard_bench: failed: $*" >&2; exit 1; }
    t1=$(now)
    b=$(awk -v a="$t0" -v z="$t1" -v b="$b" 'BEGIN { t = z - a; if (b == "" || t < b) b = t; printf "%.3f", b }')
    i=$((i + 1))
  done
  echo "$b"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
printf '%-44s %8s %8s %7s\n' query "1 proc" "-j 2" speedup
worst=""
run() { # NAME SINGLE SHARDED
  t1=$(best one "$2") || exit 1
  t2=$(best two "$shard -N 2 --local -j 2 --dataset ds -- $3") || exit 1
  cmp -s one.out two.out || { echo "shard_bench: $1: sharded output differs" >&2; exit 1; }
  r=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.2f", a / b }')
  printf '%-44s %8s %8s %6sx\n' "$1" "$t1" "$t2" "$r"
  worst=$(awk -v w="$worst" -v r="$r" 'BEGIN { print (w == "" || r < w) ? r : w }')
}
run "Q1 ttl>=200 | topn netacq_country" \
  "ft-filter 'common_ttls in 200..255' --dataset ds | ft-topn -k netacq_country -n 5" \
  "ft-filter 'common_ttls in 200..255' '|' ft-topn -k netacq_country -n 5"
run "Q2 130/8 | series" \
  "ft-filter 'src_ip in 130.0.0.0/8' --dataset ds | ft-series -l dustdemo.130net" \
  "ft-filter 'src_ip in 130.0.0.0/8' '|' ft-series -l dustdemo.130net"
run "Q3 intersect RU, uniq_dst_ips>=60000" \
  "ft-filter --intersect -e 'netacq_country == \"RU\"' -e 'uniq_dst_ips >= 60000' --dataset ds" \
  "ft-filter --intersect -e 'netacq_country == \"RU\"' -e 'uniq_dst_ips >= 60000'"
run "topn netacq_country,dst_port by packets" \
  "ft-topn -k netacq_country,dst_port --by packets --dataset ds" \
  "ft-topn -k netacq_country,dst_port --by packets"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "worst speedup: ${worst}x (target >= 1.7x on two idle cores)"
