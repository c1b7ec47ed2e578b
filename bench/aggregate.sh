#!/bin/sh
# ft-aggregate benchmark: on one generated capture, times (best of 3 wall
# clock) the raw libpcap read loop (the baseline), ft-aggregate to framed
# and to deflate Avro, and the flow tools users know (nfpcapd, softflowd,
# argus) where installed; prints ratios against the baseline measured in
# the same run, peak RSS, and bytes per flow under a flood of one-packet
# flows.
#   usage: bench/aggregate.sh BIN_DIR BUILD_DIR [PACKETS] [FLOOD_FLOWS]
set -eu
BIN=$(cd "$1" && pwd)
BUILD=$(cd "$2" && pwd)
PACKETS=${3:-2000000}
FLOOD=${4:-5000000}
W=$(mktemp -d "${TMPDIR:-/tmp}/ft-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
GEN=$BUILD/tests/tools/telescope-gen

"$GEN" --seed 1 --packets "$PACKETS" -w "$W/t.pcap"
echo "capture: $PACKETS packets of generated telescope traffic, $(du -m "$W/t.pcap" | cut -f1) MB"

# best_of CMD...: prints "SECONDS RSS_KB" of the fastest of 3 runs
best_of() {
  best=""; rss=0
  for i in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$W/time" "$@" >/dev/null 2>"$W/err" || {
      echo "failed: $*" >&2; cat "$W/err" >&2; return 1; }
    t=$(cut -d' ' -f1 "$W/time"); m=$(cut -d' ' -f2 "$W/time")
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
    [ "$m" -gt "$rss" ] && rss=$m
  done
  echo "$best $rss"
}
ratio() { echo "scale=2; $1 / $2" | bc; }

set -- $(best_of "$BUILD/bench/pcap_count" "$W/t.pcap"); raw=$1
printf "%-34s %6.2f s  %6d KB  (baseline)\n" "raw libpcap loop" "$raw" "$2"

set -- $(best_of "$BIN/ft-aggregate" --quiet -r "$W/t.pcap" -F framed); fr=$1
printf "%-34s %6.2f s  %6d KB  ratio %s (target <= 2)\n" "ft-aggregate framed" "$fr" "$2" "$(ratio "$fr" "$raw")"
set -- $(best_of "$BIN/ft-aggregate" --quiet -r "$W/t.pcap" -F avro); av=$1
printf "%-34s %6.2f s  %6d KB  ratio %s (target <= 4)\n" "ft-aggregate avro deflate" "$av" "$2" "$(ratio "$av" "$raw")"
"$BIN/ft-aggregate" -r "$W/t.pcap" 2>"$W/stats" | "$BIN/ft-cat" --count >"$W/n"
echo "records: $(cat "$W/n") for $PACKETS packets"

fastest=""
if command -v nfpcapd >/dev/null; then
  mkdir -p "$W/nf"
  set -- $(best_of nfpcapd -r "$W/t.pcap" -w "$W/nf"); t=$1
  printf "%-34s %6.2f s  %6d KB  ft-aggregate is %sx faster\n" "nfpcapd -r F -w DIR" "$t" "$2" "$(ratio "$t" "$fr")"
  fastest=$t
fi
if command -v softflowd >/dev/null; then
  set -- $(best_of softflowd -r "$W/t.pcap" -n 127.0.0.1:9); t=$1
  printf "%-34s %6.2f s  %6d KB  ft-aggregate is %sx faster\n" "softflowd -r F" "$t" "$2" "$(ratio "$t" "$fr")"
  if [ -z "$fastest" ] || [ "$(echo "$t < $fastest" | bc)" = 1 ]; then fastest=$t; fi
fi
if command -v argus >/dev/null; then
  set -- $(best_of argus -r "$W/t.pcap" -w "$W/a.argus"); t=$1
  printf "%-34s %6.2f s  %6d KB  ft-aggregate is %sx faster\n" "argus -r F -w OUT" "$t" "$2" "$(ratio "$t" "$fr")"
  if [ -z "$fastest" ] || [ "$(echo "$t < $fastest" | bc)" = 1 ]; then fastest=$t; fi
fi
[ -n "$fastest" ] && echo "vs the fastest flow tool: ft-aggregate framed is $(ratio "$fastest" "$fr")x faster (target >= 5)"

"$GEN" --flood "$FLOOD" --duration 60 -w "$W/flood.pcap"
/usr/bin/time -f "%M" -o "$W/time" "$BIN/ft-aggregate" -r "$W/flood.pcap" -F framed 2>"$W/stats" >/dev/null
peak=$(sed -n 's/.*peak \([0-9.]*\) MiB.*/\1/p' "$W/stats")
echo "flood of $FLOOD one-packet flows in one interval: flow table peak $peak MiB," \
     "$(echo "scale=1; $peak * 1048576 / $FLOOD" | bc) bytes per flow; process peak RSS $(cat "$W/time") KB"
