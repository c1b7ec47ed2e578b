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
for h in avro framed reader packet geo_tags ip_ranges parse datum; do
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

# fuzz_reader: flags byte (1 gzip, 2 cut gzip, 4 split, 8 copy), parameter byte
seed reader two.avro '\000\000' "$tmp/two-deflate.avro"
seed reader two.fr '\000\000' "$tmp/two.fr"
seed reader gz-two.fr '\001\000' "$tmp/two.fr"
seed reader gz-cut-six.avro '\003\005' "$tmp/six.avro"
cat "$tmp/two.fr" "$tmp/two-snappy.avro" | seed reader split-fr-avro '\004\040'
cat "$tmp/two.fr" "$tmp/two.fr" | seed reader gz-split-fr-fr '\005\200'
printf 'hello' | seed reader not-ft4 '\000\000'
# (8: read for a copy as well, the parameter giving the fields)
seed reader copy-two.avro '\010\001' "$tmp/two-deflate.avro"
seed reader copy-two.fr '\010\377' "$tmp/two.fr"
cat "$tmp/two.fr" "$tmp/two-snappy.avro" | seed reader copy-split-fr-avro '\014\040'
seed reader copy-gz-cut-six.avro '\013\005' "$tmp/six.avro"

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

# ---- fuzz_expr: the text (a NUL byte splits it into two filters)
e() { printf '%s' "$2" >"$c/fuzz_expr/$1"; }
e port 'dst_port == 23'
e tcp-and-ports 'protocol == tcp and dst_port in {22, 23, 2323, 8000..8100}'
e cidr 'not src_ip in {10.0.0.0/8, 192.168.0.0/16} || dst_net == 44.0.0.0'
e tags "netacq_country in {\"RU\", 'CN'} && maxmind_continent != \"EU\""
e arrays 'common_ttls in 200..255 or common_srcports == 0x50'
e time 'time >= "2021-02-13T18:00Z" and time < 1613242800'
e nested '!(!(uniq_dst_ips > 100) and (packet_cnt <= -1 or prefix2asn not in {0}))'
e comment "# scanners
protocol == udp # dns
  and dst_port = 53"
e range-edges 'src_ip in {0.0.0.0..255.255.255.255, 0..4294967295} and packet_cnt < 9223372036854775807'
e error-column 'dst_port == 1 and dst_port = = 2'
e error-line "dst_port == 1
or (protocol =="
printf 'dst_port == 23\000protocol in {tcp, udp}' >"$c/fuzz_expr/and-two"

# ---- fuzz_ft2: flags byte (1 gzip, 2 give the /8 octet, 4 cut gzip,
# 8 one record at a time), /8 octet byte
ft2() { # NAME FLAGS OCTET < python literal
  $PY tests/tools/ft2-write.py >"$tmp/ft2" && seed ft2 "$1" "$2$3" "$tmp/ft2"
}
T=1613239200
R1="('1.2.3.4', '44.0.0.1', 5000, 23, 6, 64, 2, 40, 3)"
R2="('9.8.7.6', '44.255.1.2', 8, 0, 1, 250, 0, 84, 1)"
R3="(16909060, 738197505, 53, 53, 17, 1, 0, 65535, 4294967295)"
ft2 header '\000' '\000' <<LIT
{"header": {"major": 0, "minor": 0, "init_time": $T, "interval": 60, "uri": "trace.pcap", "plugins": ["SIXU", "SIXT"]},
 "intervals": [{"number": 0, "time": $T, "classes": [[$R1], [$R2], [$R3]]},
               {"number": 1, "time": $((T + 60)), "classes": [[], [], [$R1, $R3]]}]}
LIT
ft2 no-header-gz '\001' '\000' <<LIT
{"intervals": [{"number": 0, "time": $T, "classes": [[$R1, $R1], [], [$R3]]}]}
LIT
ft2 sixt '\002' '\054' <<LIT
{"sixt": True, "intervals": [{"number": 0, "time": $T, "classes": [[$R1], [$R2], [$R3]]}]}
LIT
ft2 sixt-no-octet '\000' '\000' <<LIT
{"sixt": True, "intervals": [{"number": 0, "time": $T, "classes": [[$R1], [], []]}]}
LIT
ft2 missing-end '\010' '\000' <<LIT
{"intervals": [{"number": 0, "time": $T, "end": False, "classes": [[$R1], [$R2], []]},
               {"number": 1, "time": $((T + 60)), "classes": [[], [$R2], []]}]}
LIT
ft2 count-past-end '\000' '\000' <<LIT
{"intervals": [{"number": 0, "time": $T, "classes": [[$R1], [$R2], [$R3]], "counts": [None, 7, None]}]}
LIT
ft2 gz-cut '\005' '\003' <<LIT
{"intervals": [{"number": 0, "time": $T, "classes": [[$R1], [$R2], [$R3]]}]}
LIT
printf 'EDGRFOOT' | seed ft2 not-ft2 '\000\000'
telescope-gen --packets 300 --seed 7 -w "$tmp/ft.pcap"
pcap2ft3 -2 "$tmp/ft.pcap" "$tmp/tg.ft2.gz"
gzip -dc "$tmp/tg.ft2.gz" | seed ft2 telescope '\001\000'

# ---- fuzz_ft3: flags byte (1 = repair syncs and snappy CRCs)
for codec in null deflate snappy; do
  pcap2ft3 -c $codec "$tmp/ft.pcap" "$tmp/ft3-$codec.avro"
  seed ft3 "$codec.avro" '\001' "$tmp/ft3-$codec.avro"
done
seed ft3 raw-null.avro '\000' "$tmp/ft3-null.avro"
seed ft3 ft4-not-ft3.avro '\001' "$tmp/two-null.avro"
# Fields in another order, int for long, bytes for string.
$PY - "$tmp/ft3-foreign.avro" <<'PY'
import sys, json, avro.schema, avro.datafile, avro.io
f = [("prefix2asn","int"),("time","long"),("dst_ip","long"),("src_ip","long"),("src_port","int"),("dst_port","int"),("protocol","int"),("ttl","int"),("tcp_flags","int"),("ip_len","int"),("tcp_synlen","int"),("tcp_synwinlen","int"),("packet_cnt","long"),("is_spoofed","int"),("is_masscan","int"),("maxmind_continent","bytes"),("maxmind_country","string"),("netacq_continent","string"),("netacq_country","string")]
sch = avro.schema.parse(json.dumps({"type":"record","name":"ft3","namespace":"x.y","fields":[{"name":n,"type":t} for n,t in f]}))
w = avro.datafile.DataFileWriter(open(sys.argv[1],"wb"), avro.io.DatumWriter(), sch, codec="deflate")
r = {n: 1 for n,_ in f}; r.update(maxmind_continent=b"EU", maxmind_country="FR", netacq_continent="EU", netacq_country="FR", src_ip=4294967295, packet_cnt=2**40)
w.append(r); w.append(dict(r, src_port=65535, is_spoofed=0)); w.close()
PY
seed ft3 foreign.avro '\001' "$tmp/ft3-foreign.avro"

# ---- fuzz_partial: flags byte (1 ft-series, 2 gzip, 4 twice; bits 4-5
# the output format)
ft-topn -k netacq_country,src_ip --by packets --partial "$tmp/agg.avro" >"$tmp/topn.part"
ft-topn -k common_ttls,time --partial "$tmp/agg.avro" >"$tmp/topn-arr.part"
ft-topn -k dst_port --by dst_ips --partial "$tmp/empty.avro" >"$tmp/topn-empty.part"
ft-series --partial "$tmp/agg.avro" >"$tmp/series.part"
ft-series --bin 3600 --partial "$tmp/py.avro" >"$tmp/series-bin.part"
seed partial topn.part '\000' "$tmp/topn.part"
seed partial topn-arr-json.part '\040' "$tmp/topn-arr.part"
seed partial topn-twice-all.part '\064' "$tmp/topn-empty.part"
cat "$tmp/topn.part" "$tmp/topn.part" | seed partial topn-concat-gz '\022'
cat "$tmp/topn.part" "$tmp/topn-arr.part" | seed partial topn-mismatch '\000'
seed partial series.part '\001' "$tmp/series.part"
seed partial series-bin-svg.part '\061' "$tmp/series-bin.part"
seed partial series-twice-gz.part '\027' "$tmp/series.part"
cat "$tmp/series.part" "$tmp/series-bin.part" | seed partial series-mismatch '\001'
head -c 20 "$tmp/series.part" | seed partial truncated '\001'

# ---- fuzz_datum: mask (4 bytes LE), flags byte (1 = step interpreter),
# then encoded records: the data of the null-codec block of 50 records of
# the small aggregation (more than 1024 bytes, where the projection skips
# fastest)
ft-cat -n 50 --codec null -F avro -w "$tmp/agg-null.avro" "$tmp/agg.avro"
$PY - "$tmp/agg-null.avro" "$tmp/agg.raw" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
def varint(p):
    s = z = 0
    while True:
        b = d[p]; p += 1; z |= (b & 0x7f) << s; s += 7
        if not b & 0x80:
            return (z >> 1) ^ -(z & 1), p
p = 4
while True:                      # the metadata map
    n, p = varint(p)
    if n == 0:
        break
    if n < 0:
        _, p = varint(p); n = -n
    for _ in range(2 * n):
        m, p = varint(p); p += m
p += 16                          # sync marker
out = b""
while p < len(d):
    _, p = varint(p); size, p = varint(p)
    out += d[p:p + size]; p += size + 16
open(sys.argv[2], "wb").write(out)
PY
seed datum all-fields-fast '\377\377\377\377\000' "$tmp/agg.raw"
seed datum all-fields-steps '\377\377\377\377\001' "$tmp/agg.raw"
seed datum key-dst-port-fast '\010\000\000\000\000' "$tmp/agg.raw"
seed datum tags-arrays-steps '\000\340\377\017\001' "$tmp/agg.raw"
seed datum none-fast '\000\000\000\000\000' "$tmp/agg.raw"
head -c 1500 "$tmp/agg.raw" | seed datum cut-fast '\021\000\000\000\000'

# fuzz_avro: a foreign schema with every kind of type to skip: named
# types in namespaces referred to by relative and full name, a recursive
# record, enum, fixed, map, unions (avro_schema.c parses it, datum.c skips)
$PY - "$tmp/named.avro" "$tmp/recs.json" <<'PY'
import sys, json, avro.schema, avro.datafile, avro.io
base = [json.loads(l) for l in open(sys.argv[2])]
names = list(base[1].keys())
def typ(v):
    return {"type": "array", "items": "long"} if isinstance(v, list) else ("string" if isinstance(v, str) else "long")
full = dict(base[1]); full.update({"uniq_src_ports": 0, "uniq_tcp_flags": 0, "first_syn_length": 0, "first_tcp_rwin": 0,
    "common_pktsizes": [], "common_pktsize_freqs": [], "common_tcpflags": [], "common_tcpflag_freqs": [],
    "maxmind_continent": "??", "maxmind_country": "??"})
ints = {"dst_port", "protocol", "uniq_dst_ips", "uniq_pkt_sizes", "uniq_ttls", "uniq_src_ports", "uniq_tcp_flags", "first_syn_length", "first_tcp_rwin"}
fields = [{"name": "pre", "type": {"type": "record", "name": "Node", "namespace": "a.b", "fields": [
            {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["X", "Y"]}},
            {"name": "id", "type": {"type": "fixed", "name": "c.Id", "size": 3}},
            {"name": "tags", "type": {"type": "map", "values": ["null", "Kind", "c.Id"]}},
            {"name": "next", "type": ["null", "Node"]}]}}]
fields += [{"name": k, "type": "int" if k in ints else typ(v)} for k, v in sorted(full.items())]
fields += [{"name": "post", "type": ["null", "a.b.Node"]}]
sch = avro.schema.parse(json.dumps({"type": "record", "name": "r", "namespace": "z", "fields": fields}))
w = avro.datafile.DataFileWriter(open(sys.argv[1], "wb"), avro.io.DatumWriter(), sch, codec="snappy")
node = {"kind": "Y", "id": b"abc", "tags": {"k": "X", "i": b"xyz", "n": None}, "next": {"kind": "X", "id": b"000", "tags": {}, "next": None}}
for r in (full, dict(full, src_ip=7)):
    w.append(dict(r, pre=node, post=node))
w.close()
PY
seed avro foreign-named.avro '\001' "$tmp/named.avro"
