#!/bin/sh
# bench/questions.sh BIN_DIR BUILD_DIR - the DUST questions against the
# floor of merely inflating the data with zlib, in the same run.
#
# Data: BENCH_RECORDS (default 5000000) generated records in one deflate
# FT4 file.  For each question: wall time and CPU time (all processes of
# the pipeline, user+sys), best of BENCH_REPEAT (default 3) runs, and the
# ratio of CPU time to the floor's (target <= 1.5).  Also the framed-pipe
# variant, and nfdump's nearest query on nfpcapd-converted traffic next
# to ours on ft-aggregate-converted traffic from the same capture.
set -eu
bin=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
n=${BENCH_RECORDS:-5000000}
repeat=${BENCH_REPEAT:-3}
tmp=${TMPDIR:-/tmp}
[ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] && tmp=/dev/shm
W=$(mktemp -d "$tmp/ft-questions.XXXXXX")
trap 'rm -rf "$W"' EXIT
export PATH="$bin:$PATH"

"$build/tests/tools/avro-rw" gen "$n" 7 "$W/data.avro" deflate
echo "data: $n records, $(du -m "$W/data.avro" | cut -f1) MB deflate FT4"

# best CMD: "WALL CPU" of the best of $repeat runs (by CPU time)
best() {
  b=""
  for i in $(seq "$repeat"); do
    /usr/bin/time -f "%e %U %S" -o "$W/t" sh -c "$1" >/dev/null
    set -- "$1" $(awk '{printf "%s %.2f", $1, $2 + $3}' "$W/t")
    if [ -z "$b" ] || [ "$(echo "$3 < ${b#* }" | bc)" = 1 ]; then b="$2 $3"; fi
  done
  echo "$b"
}
row() { # NAME "WALL CPU" FLOOR_CPU
  w=${2% *}; c=${2#* }
  printf "%-58s wall %5.2f s  cpu %5.2f s  cpu/floor %s\n" "$1" "$w" "$c" \
    "$(echo "scale=2; $c / $3" | bc)"
}
D=$W/data.avro
set -- $(best "$build/bench/inflate_floor $D"); floor=$2
printf "%-58s wall %5.2f s  cpu %5.2f s  (floor)\n" "zlib inflate of the file alone" "$1" "$2"
row "ft-cat --count (read and decode everything)" "$(best "ft-cat --count $D")" "$floor"
row "1. ft-filter 'common_ttls in 200..255' | ft-topn -k netacq_country" \
  "$(best "ft-filter 'common_ttls in 200..255' $D | ft-topn -k netacq_country -n 5")" "$floor"
row "2. ft-filter 'src_ip in 130.0.0.0/8' | ft-series" \
  "$(best "ft-filter 'src_ip in 130.0.0.0/8' $D | ft-series --label dustdemo.130net")" "$floor"
row "3. ft-filter --intersect RU, uniq_dst_ips >= 60000" \
  "$(best "ft-filter --intersect -e 'netacq_country == \"RU\"' -e 'uniq_dst_ips >= 60000' $D")" "$floor"
row "1 via framed pipe: ft-cat | ft-filter | ft-topn" \
  "$(best "ft-cat -F framed $D | ft-filter 'common_ttls in 200..255' | ft-topn -k netacq_country -n 5")" "$floor"
echo "(target: cpu/floor <= 1.5 for each question)"

# nfdump's nearest query: top destination ports of TCP flows.  Each tool
# reads its own files made from one capture: nfpcapd's flows uncompressed
# (its default) and LZ4 (-y); our FT4 as ft-aggregate writes it (deflate)
# and with the null codec, in one process (-e) and as a pipe.  Ratios are
# our CPU time over nfdump's on the uncompressed files (target < 1).
if command -v nfdump >/dev/null && command -v nfpcapd >/dev/null; then
  "$build/tests/tools/telescope-gen" --seed 3 --packets "${BENCH_PACKETS:-2000000}" -w "$W/t.pcap"
  mkdir "$W/nf" "$W/nflz4" "$W/null"
  nfpcapd -r "$W/t.pcap" -w "$W/nf" >/dev/null 2>&1
  nfpcapd -y -r "$W/t.pcap" -w "$W/nflz4" >/dev/null 2>&1
  ft-aggregate --quiet -r "$W/t.pcap" -w "$W/ft4/%s.ft4.avro"
  for f in "$W"/ft4/*.avro; do
    ft-cat --codec null -w "$W/null/${f##*/}" "$f"
  done
  rm "$W/t.pcap"
  echo "top 10 destination ports of TCP flows, same capture (${BENCH_PACKETS:-2000000} packets):"
  echo "  nfdump: $(nfdump -R "$W/nf" -I | awk '/^Flows:/ {print $2}') flows;" \
    "FT4: $(ft-cat --count "$W"/ft4/*.avro) records"
  set -- $(best "nfdump -q -R $W/nf -s dstport -n 10 'proto tcp'"); nf=$2
  printf "%-58s wall %5.2f s  cpu %5.2f s\n" "nfdump -R DIR -s dstport 'proto tcp' (uncompressed)" "$1" "$2"
  set -- $(best "nfdump -q -R $W/nflz4 -s dstport -n 10 'proto tcp'")
  printf "%-58s wall %5.2f s  cpu %5.2f s\n" "nfdump -R DIR -s dstport 'proto tcp' (LZ4)" "$1" "$2"
  ours() { # NAME CMD
    set -- "$1" $(best "$2")
    printf "%-58s wall %5.2f s  cpu %5.2f s  (%sx nfdump's cpu)\n" "$1" "$2" "$3" \
      "$(echo "scale=2; $3 / $nf" | bc)"
  }
  ours "ft-topn -e 'protocol == tcp' -k dst_port (null codec)" \
    "ft-topn -e 'protocol == tcp' -k dst_port $W/null/*.avro"
  ours "ft-topn -e 'protocol == tcp' -k dst_port (deflate)" \
    "ft-topn -e 'protocol == tcp' -k dst_port $W/ft4/*.avro"
  ours "ft-filter 'protocol == tcp' | ft-topn -k dst_port (deflate)" \
    "ft-filter 'protocol == tcp' $W/ft4/*.avro | ft-topn -k dst_port -n 10"
  echo "(target: faster than nfdump)"
fi
