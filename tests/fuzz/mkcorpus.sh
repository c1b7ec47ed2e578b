#!/bin/sh
# tests/fuzz/mkcorpus.sh - (re)makes the seed corpora in tests/fuzz/corpus/
# with the project's own tools: small valid inputs of every kind plus edge
# cases.  Files named crash-* (regression inputs) are kept as they are.
#
#   make test-progs && sh tests/fuzz/mkcorpus.sh
#
# Each seed starts with the harness's control byte(s) (see each
# fuzz_*.c); seeds are named for what they hold.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
PATH=$top/bin:$top/build/tests/tools:$PATH
PY=/usr/bin/python3
c=tests/fuzz/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for h in avro framed reader packet geo_tags ip_ranges parse; do
  mkdir -p "$c/fuzz_$h"
  find "$c/fuzz_$h" -type f ! -name 'crash-*' -delete
done

# seed HARNESS NAME PREFIX-OCTAL-BYTES [FILE]: PREFIX then FILE (or stdin)
seed() {
  { printf "$3"; if [ $# -ge 4 ]; then cat "$4"; else cat; fi; } >"$c/fuzz_$1/$2"
}

# ---- records: two from ft-cat's tests, and a small aggregation
cat >"$tmp/recs.json" <<'JSON'
{"time":1613239200,"src_ip":16824709,"dst_net":738263040,"dst_port":771,"protocol":1,"packet_cnt":2,"uniq_dst_ips":1,"uniq_pkt_sizes":2,"uniq_ttls":1,"common_ttls":[44],"common_ttl_freqs":[2],"netacq_continent":"AS","netacq_country":"TH","prefix2asn":23969}
{"time":1613239800,"src_ip":3239906926,"dst_net":738197504,"dst_port":5060,"protocol":17,"packet_cnt":64942,"uniq_dst_ips":64942,"uniq_pkt_sizes":13,"uniq_ttls":1,"uniq_src_ports":1,"common_ttls":[49],"common_ttl_freqs":[64942],"common_srcports":[5181],"common_srcport_freqs":[64942],"netacq_continent":"EU","netacq_country":"RU","prefix2asn":35478,"spoofed_packet_cnt":3,"masscan_packet_cnt":1099511627776}
JSON
$PY tests/tools/ft4-json2avro.py "$tmp/py.avro" <"$tmp/recs.json"
telescope-gen --packets 300 --seed 7 -w "$tmp/small.pcap"
ft-aggregate --quiet -r "$tmp/small.pcap" -F avro -w "$tmp/agg.avro"
ft-cat -n 6 "$tmp/agg.avro" -F avro -w "$tmp/six.avro"
for codec in null deflate snappy; do
  ft-cat --codec $codec -F avro -w "$tmp/two-$codec.avro" "$tmp/py.avro"
done
ft-cat -n 0 -F avro -w "$tmp/empty.avro" "$tmp/py.avro"
ft-cat -F framed "$tmp/py.avro" >"$tmp/two.fr"
ft-cat -F framed "$tmp/six.avro" >"$tmp/six.fr"
ft-cat -n 0 -F framed "$tmp/py.avro" >"$tmp/empty.fr"
cat "$tmp/two.fr" "$tmp/empty.fr" "$tmp/two.fr" >"$tmp/concat.fr"

# fuzz_avro: flags byte (1 = repair syncs and snappy CRCs)
for f in py two-null two-deflate two-snappy six empty; do
  seed avro "$f.avro" '\001' "$tmp/$f.avro"
done
seed avro raw-two-null.avro '\000' "$tmp/two-null.avro"
seed avro not-avro '\001' </dev/null
printf 'Obj\001' | seed avro magic-only '\001'
# A schema without the spoofed/masscan counts and with int promoted.
$PY - "$tmp/old.avro" <<'PY'
import sys, avro.schema, avro.datafile, avro.io, json
f = [("time","long"),("src_ip","int"),("dst_net","long"),("dst_port","int"),("protocol","int"),("packet_cnt","long"),("uniq_dst_ips","int"),("uniq_pkt_sizes","int"),("uniq_ttls","int"),("uniq_src_ports","int"),("uniq_tcp_flags","int"),("first_syn_length","int"),("first_tcp_rwin","int")]
a = ["common_pkt_sizes","common_pktsize_freqs","common_ttls","common_ttl_freqs","common_srcports","common_srcport_freqs","common_tcpflags","common_tcpflag_freqs"]
s = ["maxmind_continent","maxmind_country","netacq_continent","netacq_country"]
fields = [{"name":n,"type":t} for n,t in f] + [{"name":n,"type":{"type":"array","items":"long"}} for n in a] + [{"name":n,"type":"string"} for n in s] + [{"name":"prefix2asn","type":"long"},{"name":"extra","type":["null","string"]}]
sch = avro.schema.parse(json.dumps({"type":"record","name":"x","fields":fields}))
w = avro.datafile.DataFileWriter(open(sys.argv[1],"wb"), avro.io.DatumWriter(), sch, codec="deflate")
r = {n:1 for n,_ in f}; r.update({n:[1,2] for n in a}); r.update({n:"ZZ" for n in s}); r["prefix2asn"]=7; r["extra"]="hello"
w.append(r); w.append(dict(r, extra=None)); w.close()
PY
seed avro old-schema.avro '\001' "$tmp/old.avro"

# fuzz_framed: flags byte (1 = repair CRCs)
for f in two six empty concat; do
  seed framed "$f.fr" '\001' "$tmp/$f.fr"
done
seed framed raw-two.fr '\000' "$tmp/two.fr"
head -c 28 "$tmp/two.fr" | seed framed header-only '\001'

# fuzz_reader: flags byte (1 gzip, 2 cut gzip, 4 split), parameter byte
seed reader two.avro '\000\000' "$tmp/two-deflate.avro"
seed reader two.fr '\000\000' "$tmp/two.fr"
seed reader gz-two.fr '\001\000' "$tmp/two.fr"
seed reader gz-cut-six.avro '\003\005' "$tmp/six.avro"
cat "$tmp/two.fr" "$tmp/two-snappy.avro" | seed reader split-fr-avro '\004\040'
cat "$tmp/two.fr" "$tmp/two.fr" | seed reader gz-split-fr-fr '\005\200'
printf 'hello' | seed reader not-ft4 '\000\000'

# ---- fuzz_packet: selector byte (0 EN10MB, 1 RAW, 2 LINKTYPE_RAW,
# 3 IPV4, 4 SLL, 5 SLL2, 6 NULL, 7 LOOP, 8 an unsupported type)
$PY - "$c/fuzz_packet" <<'PY'
import os, sys
sys.path.insert(0, "tests/tools")
from pkt import *
d = sys.argv[1]
def w(name, sel, frame):
    open(os.path.join(d, name), "wb").write(bytes([sel]) + frame)
syn = ip4("1.2.3.4", "44.1.2.3", tcp(5000, 23, "S"))
w("eth-tcp-syn", 0, eth(syn))
w("eth-udp", 0, eth(ip4("1.2.3.4", "44.1.2.3", udp(5000, 53))))
w("eth-icmp", 0, eth(ip4("1.2.3.4", "44.1.2.3", icmp(8, 0))))
w("eth-qinq", 0, eth(syn, ethertype=0x0800, vlans=((0x88a8, 10), (0x8100, 20))))
w("eth-masscan", 0, eth(ip4("1.2.3.4", "44.1.2.3", tcp(5000, 80, "S", win=1024), ttl=250)))
w("eth-frag", 0, eth(ip4("1.2.3.4", "44.1.2.3", udp(5000, 53), frag=0x2000)))
w("eth-options", 0, eth(ip4("1.2.3.4", "44.1.2.3", tcp(1, 2, "SA", opts=b"\x02\x04\x05\xb4"), opts=b"\x01\x01\x01\x00")))
w("eth-arp", 0, eth(b"\0" * 28, ethertype=0x0806))
w("eth-ipv6", 0, eth(b"\x60" + b"\0" * 39, ethertype=0x86dd))
w("eth-short", 0, eth(syn)[:20])
w("raw", 1, syn)
w("linktype-raw", 2, syn)
w("ipv4", 3, syn)
w("ipv4-bad-version", 3, b"\x65" + syn[1:])
w("sll", 4, sll(syn))
w("sll2", 5, sll2(syn))
w("null-le", 6, null(syn))
w("null-be", 6, null(syn, big=True))
w("loop", 7, null(syn, big=True))
w("unsupported", 8, syn)
PY

# ---- fuzz_geo_tags: mode byte (% 3: 0 maxmind, 1 netacq, 2 AS; 4 gzip;
# 8 load twice)
printf 'ip_range_start,ip_range_end,country_code\n192.0.2.0,192.0.2.255,US\n3325256704,3325256959,"au"\n' >"$tmp/cc.csv"
printf '# prefix2as\n192.0.2.0\t24\t64500_64501\n192.0.2.128\t25\t64510,64511\n198.51.0.0\t16\t64520\r\n' >"$tmp/p2a.txt"
printf '192.0.2.0,192.0.2.127,64530,"Example, Inc."\n3325231104,3325296639,64540,Example Net\n::1,::2,5\n' >"$tmp/asn.csv"
perl tests/tools/mkmmdb.pl "$tmp/flat.mmdb" 192.0.2.0/25=RU 198.51.100.0/24=BR
perl tests/tools/mkmmdb.pl -6 "$tmp/geoip2.mmdb" 192.0.2.0/24=FR/EU \
  '198.51.100.0/24={"country":{"iso_code":"TH"}}'
perl tests/tools/mkmmdb.pl "$tmp/city.mmdb" '192.0.2.0/24={"city":"Paris"}'
seed geo_tags cc.csv '\000' "$tmp/cc.csv"
seed geo_tags cc-netacq-twice.csv '\011' "$tmp/cc.csv"
seed geo_tags p2a.txt '\002' "$tmp/p2a.txt"
seed geo_tags p2a-gz.txt '\006' "$tmp/p2a.txt"
seed geo_tags asn.csv '\002' "$tmp/asn.csv"
seed geo_tags flat.mmdb '\000' "$tmp/flat.mmdb"
seed geo_tags geoip2.mmdb '\001' "$tmp/geoip2.mmdb"
seed geo_tags geoip2-gz.mmdb '\004' "$tmp/geoip2.mmdb"
seed geo_tags city.mmdb '\000' "$tmp/city.mmdb"
seed geo_tags mmdb-as-asn '\002' "$tmp/flat.mmdb"

# ---- fuzz_ip_ranges: even = text, odd = binary ranges (10 bytes each)
seed ip_ranges cc.csv '\000' "$tmp/cc.csv"
seed ip_ranges p2a.txt '\000' "$tmp/p2a.txt"
printf '1.2.3.4,1.2.3.4,1\n0.0.0.0,255.255.255.255,2\n4294967295\t32\t3\n0.0.0.0 0 4\n' | seed ip_ranges edges '\000'
printf '1.2.3.0,1.2.3.255,\n' | seed ip_ranges missing-value '\000'
$PY - "$c/fuzz_ip_ranges" <<'PY'
import os, struct, sys
d = sys.argv[1]
def rng(first, width, shift, value):
    return struct.pack("<IIBB", first, width, shift, value)
open(os.path.join(d, "nested"), "wb").write(b"\1" + rng(0x01020300, 255, 0, 1) + rng(0x01020380, 127, 0, 2) + rng(0, 0xffffffff, 0, 3) + rng(0x01020380, 127, 0, 4))
open(os.path.join(d, "top"), "wb").write(b"\1" + rng(0xffffff00, 0xffffffff, 0, 5) + rng(0xffffffff, 0, 0, 6))
PY

# ---- fuzz_parse: mode byte (0 int, 1 size, 2 IPv4, 3 CIDR, 4 CIDR
# lenient, 5 time, 6 field list)
p() { printf '%s' "$3" | seed parse "$1" "$2"; }
p int '\000' -9223372036854775808; p int-big '\000' 99999999999999999999
p size '\001' 64KiB; p size-t '\001' 16T; p size-b '\001' 512b
p ipv4 '\002' 192.168.0.1; p ipv4-zeros '\002' 001.002.003.004
p cidr '\003' 10.0.0.0/8; p cidr-bare '\003' 1.2.3.4
p cidr-lenient '\004' 10.1.2.3/8; p cidr-0 '\003' 0.0.0.0/0
p time-epoch '\005' 1613239200; p time-iso '\005' 2021-02-13T18:00:00Z
p time-date '\005' 2021-02-13; p time-space '\005' '2021-02-13 18:00'
p time-leap '\005' 2016-12-31T23:59:60Z; p time-max '\005' 253402300799
p fields '\006' time,src_ip,dst_port,common_pkt_sizes
p fields-typo '\006' time,src_iq
