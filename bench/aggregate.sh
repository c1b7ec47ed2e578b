#!/bin/sh
# ft-aggregate benchmark: on one generated capture, times (best of 3) the
# raw libpcap read loop (the baseline), ft-aggregate to framed and to
# deflate Avro, and the flow tools users know (nfpcapd, softflowd, argus)
# where installed; prints ratios against the baseline measured in the same
# run, peak RSS, records/flows, and bytes per flow under a flood of
# one-packet flows.
#
# Wall clock is what the targets are about, but on a shared machine it
# mostly measures the neighbours: every line also gives the CPU time (user
# + system, all threads) of its fastest run, and the summary gives both
# ratios.  ft-aggregate uses a second core (intervals are written on a
# thread of their own, Avro blocks compressed on others), so its CPU time
# exceeds its wall time when that core is free.
#   usage: bench/aggregate.sh BIN_DIR BUILD_DIR [PACKETS] [FLOOD_FLOWS]
set -eu
BIN=$(cd "$1" && pwd)
BUILD=$(cd "$2" && pwd)
PACKETS=${3:-2000000}
FLOOD=${4:-5000000}
W=$(mktemp -d "${TMPDIR:-/tmp}/ft-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
GEN=$BUILD/tests/tools/telescope-gen

# Output "to /dev/null" is only free when it is the null device.
[ -c /dev/null ] || echo "warning: /dev/null is not a character device here;" \
  "output written to it is really written" >&2

"$GEN" --seed 1 --packets "$PACKETS" -w "$W/t.pcap"
echo "capture: $PACKETS packets of generated telescope traffic, $(du -m "$W/t.pcap" | cut -f1) MB;" \
     "$(getconf _NPROCESSORS_ONLN) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# best_of CMD...: prints "WALL CPU RSS_KB" of the run with the least wall
# time of 3 (CPU = user + system of that run; RSS = the largest of the 3)
best_of() {
  best=""; cpu=""; rss=0
  for i in 1 2 3; do
    /usr/bin/time -f "%e %U %S %M" -o "$W/time" "$@" >/dev/null 2>"$W/err" || {
      echo "failed: $*" >&2; cat "$W/err" >&2; return 1; }
    read -r t u s m <"$W/time"
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then
      best=$t; cpu=$(echo "$u + $s" | bc)
    fi
    [ "$m" -gt "$rss" ] && rss=$m
  done
  echo "$best $cpu $rss"
}
ratio() { echo "scale=2; $1 / $2" | bc; }
# line NAME WALL CPU RSS REST: one result line
line() { printf "%-30s %6.2f s wall %6.2f s cpu %8d KB  %s\n" "$1" "$2" "$3" "$4" "$5"; }

set -- $(best_of "$BUILD/bench/pcap_count" "$W/t.pcap"); raw=$1; rawc=$2
line "raw libpcap loop" "$1" "$2" "$3" "(baseline)"

set -- $(best_of "$BIN/ft-aggregate" --quiet -r "$W/t.pcap" -F framed); fr=$1; frc=$2
line "ft-aggregate framed" "$1" "$2" "$3" "$(ratio "$fr" "$raw")x the raw loop"
set -- $(best_of "$BIN/ft-aggregate" --quiet -r "$W/t.pcap" -F avro); av=$1; avc=$2
line "ft-aggregate avro deflate" "$1" "$2" "$3" "$(ratio "$av" "$raw")x the raw loop"
# The default level is 6 (zlib's and Spark's); level 1 trades about 10%
# larger files for a third of the compression time.
set -- $(best_of "$BIN/ft-aggregate" --quiet -r "$W/t.pcap" -F avro --level 1); av1=$1; av1c=$2
line "ft-aggregate avro --level 1" "$1" "$2" "$3" "$(ratio "$av1" "$raw")x the raw loop"
"$BIN/ft-aggregate" --quiet -r "$W/t.pcap" -F avro >"$W/l6.avro"
"$BIN/ft-aggregate" --quiet -r "$W/t.pcap" -F avro --level 1 >"$W/l1.avro"
echo "avro file: $(wc -c <"$W/l6.avro") bytes at level 6, $(wc -c <"$W/l1.avro") at level 1"
"$BIN/ft-aggregate" -r "$W/t.pcap" -F framed 2>"$W/stats" >"$W/out.fr"
records=$("$BIN/ft-cat" --count "$W/out.fr")
echo "ft-aggregate: $records records for $PACKETS packets" \
     "($(sed -n 's/.*records in \([0-9]*\) intervals.*/\1/p' "$W/stats") intervals)"

fastest=""; fname=""
# other NAME CMD...: times a flow tool; the fastest one is remembered
other() {
  name=$1; shift
  r=$(best_of "$@") || return 0
  set -- $r
  line "$name" "$1" "$2" "$3" "ft-aggregate framed is $(ratio "$1" "$fr")x faster"
  if [ -z "$fastest" ] || [ "$(echo "$1 < $fastest" | bc)" = 1 ]; then
    fastest=$1; fastc=$2; fname=$name
  fi
}
if command -v nfpcapd >/dev/null; then
  mkdir -p "$W/nf"
  other "nfpcapd -r F -w DIR" nfpcapd -r "$W/t.pcap" -w "$W/nf"
  if command -v nfdump >/dev/null; then
    rm -rf "$W/nf" && mkdir "$W/nf" && nfpcapd -r "$W/t.pcap" -w "$W/nf" >/dev/null 2>&1 &&
      echo "nfpcapd: $(nfdump -R "$W/nf" -I 2>/dev/null | sed -n 's/^Flows: *//p' | head -n 1) flows"
  fi
fi
command -v softflowd >/dev/null &&
  other "softflowd -r F" softflowd -r "$W/t.pcap" -n 127.0.0.1:9
command -v argus >/dev/null &&
  other "argus -r F -w OUT" argus -r "$W/t.pcap" -w "$W/a.argus"

"$GEN" --flood "$FLOOD" --duration 60 -w "$W/flood.pcap"
/usr/bin/time -f "%M" -o "$W/time" "$BIN/ft-aggregate" -r "$W/flood.pcap" -F framed 2>"$W/stats" >/dev/null
peak=$(sed -n 's/.*peak \([0-9.]*\) MiB.*/\1/p' "$W/stats")
echo "flood of $FLOOD one-packet flows in one interval: flow table peak $peak MiB," \
     "$(echo "scale=1; $peak * 1048576 / $FLOOD" | bc) bytes per flow; process peak RSS $(cat "$W/time") KB"

echo
echo "summary (wall-clock ratio; CPU-time ratio in brackets):"
echo "  framed / raw loop:        $(ratio "$fr" "$raw") [$(ratio "$frc" "$rawc")]  target <= 2"
echo "  avro deflate / raw loop:  $(ratio "$av" "$raw") [$(ratio "$avc" "$rawc")]  target <= 4"
echo "    (--level 1:             $(ratio "$av1" "$raw") [$(ratio "$av1c" "$rawc")])"
[ -n "$fastest" ] &&
  echo "  fastest flow tool ($fname) / framed: $(ratio "$fastest" "$fr") [$(ratio "$fastc" "$frc")]  target >= 5"
exit 0
