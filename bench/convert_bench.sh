#!/bin/sh
# ft-convert benchmark: one generated capture turned into FT3 (deflate Avro,
# one file, and 60 one-minute files) and FT2 (gzip) by pcap2ft3; times
# (best of 3 wall clock) a read-only pass over each input with the same
# readers (build/bench/convert_read, the baseline) and ft-convert to the
# framed stream and to deflate Avro; prints records/s and the ratio
# against the baseline measured in the same run.
#   usage: bench/convert_bench.sh BIN_DIR BUILD_DIR [PACKETS]
set -eu
BIN=$(cd "$1" && pwd)
BUILD=$(cd "$2" && pwd)
PACKETS=${3:-2000000}
W=$(mktemp -d "${TMPDIR:-/tmp}/ft-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
TOOLS=$BUILD/tests/tools

"$TOOLS/telescope-gen" --seed 1 --packets "$PACKETS" -w "$W/t.pcap"
"$TOOLS/pcap2ft3" "$W/t.pcap" "$W/t.ft3.avro"
mkdir "$W/min"
"$TOOLS/pcap2ft3" -p "$W/t.pcap" "$W/min/m"
"$TOOLS/pcap2ft3" -2 "$W/t.pcap" "$W/t.ft2.gz"
"$TOOLS/pcap2ft3" -2 "$W/t.pcap" /dev/stdout | gzip -dc >"$W/t.ft2"

best_of() { # CMD...: prints the seconds of the fastest of 3 runs
  best=""
  for i in 1 2 3; do
    /usr/bin/time -f "%e" -o "$W/time" "$@" >/dev/null 2>"$W/err" || {
      echo "failed: $*" >&2; cat "$W/err" >&2; return 1; }
    t=$(cat "$W/time")
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
  done
  echo "$best"
}
rate() { echo "scale=0; $1 / ($2 + 0.005)" | bc; }
ratio() { echo "scale=2; ($1 + 0.005) / ($2 + 0.005)" | bc; }

run() { # LABEL FILES...
  label=$1; shift
  recs=$("$BUILD/bench/convert_read" "$@" | cut -d' ' -f1)
  base=$(best_of "$BUILD/bench/convert_read" "$@")
  fr=$(best_of "$BIN/ft-convert" --quiet -F framed "$@")
  av=$(best_of "$BIN/ft-convert" --quiet -F avro "$@")
  printf "%-28s %9s records  read %6.2f s (%s rec/s)\n" "$label" "$recs" "$base" "$(rate "$recs" "$base")"
  printf "%-28s ft-convert framed %6.2f s (%s rec/s)  ratio %s\n" "" "$fr" "$(rate "$recs" "$fr")" "$(ratio "$fr" "$base")"
  printf "%-28s ft-convert avro   %6.2f s (%s rec/s)  ratio %s\n" "" "$av" "$(rate "$recs" "$av")" "$(ratio "$av" "$base")"
}

echo "input: $PACKETS generated packets; ratios are ft-convert / read-only pass"
run "FT3 deflate, 1 file" "$W/t.ft3.avro"
run "FT3 deflate, 60 files" "$W"/min/*.ft3.avro
run "FT2 gzip" "$W/t.ft2.gz"
run "FT2 plain" "$W/t.ft2"
