#!/bin/sh
# ft-convert: FT2 (corsaro2 binary) and FT3 (corsaro3 Avro) files to FT4.
# Fixtures: FT2 from tests/tools/ft2-write.py (FT4-SPEC section 6 byte for
# byte), FT3 from python3-avro, and FT3 derived from a telescope-gen pcap
# by pcap2ft3, which must convert to exactly what ft-aggregate makes of
# the pcap.
. "$(dirname "$0")/lib.sh"

FT2W="$PY $FT_TOP/tests/tools/ft2-write.py"
records() { ft-cat -F json --ip-format int "$@"; }
T=1613239200   # a multiple of 300
# An hour's worth of FT2 in three intervals; every protocol branch.
ft2_spec() { # SIXT HEADER
  cat <<EOF
{"sixt": $1, $2 "intervals": [
 {"number": 0, "time": $T, "classes": [
   [("1.2.3.4", "44.1.2.3", 5000, 23, 6, 60, 0x02, 40, 3),
    ("1.2.3.4", "44.1.9.9", 5001, 23, 6, 61, 0x12, 40, 1)],
   [("9.9.9.3", "44.2.0.7", 8, 0, 1, 100, 0, 84, 5),
    ("9.9.9.3", "44.2.0.8", 3, 3, 1, 100, 0, 56, 2)],
   [("9.9.9.4", "44.2.0.9", 7, 9, 47, 100, 0, 60, 1),
    ("9.9.9.2", "44.2.0.6", 1234, 80, 17, 50, 0, 36, 2)]]},
 {"number": 1, "time": $((T + 60)), "classes": [
   [("1.2.3.4", "44.1.2.3", 5000, 23, 6, 60, 0x02, 40, 6)], [], []]},
 {"number": 2, "time": $((T + 300)), "classes": [
   [("1.2.3.4", "44.1.2.3", 5000, 23, 6, 60, 0x02, 40, 1)], [], []]}]}
EOF
}
HDR='"header": {"major": 2, "minor": 1, "init_time": '$T', "interval": 60, "uri": "int:eth0", "plugins": ["SIXU"]},'
HDRT='"header": {"interval": 60, "plugins": ["SIXT"]},'
ft2_spec False "$HDR" | $FT2W >u.ft2 &&
ft2_spec False "" | $FT2W >u-nohdr.ft2 &&
ft2_spec True "$HDRT" | $FT2W >t.ft2 &&
ft2_spec True "" | $FT2W >t-nohdr.ft2 &&
gzip -c u.ft2 >u.ft2.gz && gzip -c t.ft2 >t.ft2.gz || exit 1

cat >ft2.want <<EOF
{"time": $T, "src_ip": 16909060, "dst_net": 738263040, "dst_port": 23, "protocol": 6, "packet_cnt": 10, "uniq_dst_ips": 2, "uniq_pkt_sizes": 1, "uniq_ttls": 2, "uniq_src_ports": 2, "uniq_tcp_flags": 2, "first_syn_length": 0, "first_tcp_rwin": 0, "common_pktsizes": [40], "common_pktsize_freqs": [10], "common_ttls": [60], "common_ttl_freqs": [9], "common_srcports": [5000], "common_srcport_freqs": [9], "common_tcpflags": [2], "common_tcpflag_freqs": [9], "maxmind_continent": "??", "maxmind_country": "??", "netacq_continent": "??", "netacq_country": "??", "prefix2asn": 0, "spoofed_packet_cnt": 0, "masscan_packet_cnt": 0}
{"time": $T, "src_ip": 151587074, "dst_net": 738328576, "dst_port": 80, "protocol": 17, "packet_cnt": 2, "uniq_dst_ips": 1, "uniq_src_ports": 1, "common_srcports": [1234], "common_srcport_freqs": [2], "uniq_tcp_flags": 0, "common_tcpflags": [], "common_ttls": [50]}
{"time": $T, "src_ip": 151587075, "dst_net": 738328576, "dst_port": 771, "protocol": 1, "packet_cnt": 2, "uniq_src_ports": 0, "common_srcports": [], "uniq_tcp_flags": 0, "common_pktsizes": [56]}
{"time": $T, "src_ip": 151587075, "dst_net": 738328576, "dst_port": 2048, "protocol": 1, "packet_cnt": 5, "uniq_src_ports": 0, "common_srcports": [], "common_pktsizes": [84], "common_pktsize_freqs": [5]}
{"time": $T, "src_ip": 151587076, "dst_net": 738328576, "dst_port": 0, "protocol": 47, "packet_cnt": 1, "uniq_src_ports": 0, "uniq_tcp_flags": 0, "common_ttls": [100]}
{"time": $((T + 300)), "src_ip": 16909060, "dst_net": 738263040, "dst_port": 23, "protocol": 6, "packet_cnt": 1, "uniq_dst_ips": 1, "first_syn_length": 0, "common_tcpflags": [2], "spoofed_packet_cnt": 0}
EOF

test_expect_success '--help, --version, --help-fields' '
  ft-convert --help >out && test_grep "^Usage: ft-convert" out &&
  ft-convert --version | test_grep "^ft-convert (fttools)" &&
  ft-convert --help-fields | test_grep "first_syn_length"
'
test_expect_code 2 'bad option exits 2' 'ft-convert --bogus u.ft2'
test_expect_success '--interval not a multiple of 60 exits 2 with a message' '
  test_expect_code_2() { "$@"; test $? -eq 2; } &&
  test_expect_code_2 ft-convert --interval 90 u.ft2 2>err &&
  test_grep "interval: 90 is not a multiple of the source interval (60 s)" err &&
  test_expect_code_2 ft-convert --interval 0 u.ft2 &&
  test_expect_code_2 ft-convert --dst-prefix 20 u.ft2 &&
  test_expect_code_2 ft-convert -V 4 u.ft2 &&
  test_expect_code_2 ft-convert --slash-eight 256 t.ft2
'
test_expect_success 'an interval that the file interval does not divide exits 2' '
  echo "{\"header\": {\"interval\": 300}, \"intervals\": []}" | $FT2W >h300.ft2 &&
  ft-convert --interval 600 --quiet h300.ft2 >/dev/null &&
  { ft-convert --interval 120 h300.ft2 >/dev/null 2>err; test $? -eq 2; } &&
  test_grep "^ft-convert: h300.ft2: interval 120 s is not a multiple of the file.s interval (300 s)$" err
'

test_expect_success 'FT2 SIXU with a global header: every field of every record' '
  ft-convert u.ft2 2>stats | records >got && check_records ft2.want got &&
  test_grep "1 inputs (0 with errors), 8 records of 21 packets read, 0 late" stats &&
  test_grep "6 records in 2 intervals written, 0 intervals not written" stats
'
test_expect_success 'FT2: gzip or plain, header or none, SIXU or SIXT: the same records' '
  ft-convert --quiet -F avro u.ft2 >u.avro &&
  for f in u.ft2.gz u-nohdr.ft2; do
    ft-convert --quiet -F avro $f >x.avro && cmp u.avro x.avro || exit 1
  done &&
  for f in t.ft2 t.ft2.gz t-nohdr.ft2; do
    ft-convert --quiet -F avro --slash-eight 44 $f >x.avro && cmp u.avro x.avro || exit 1
  done
'
test_expect_success 'FT2 SIXT without --slash-eight: exit 2, the file named' '
  { ft-convert t-nohdr.ft2 >/dev/null 2>err; test $? -eq 2; } &&
  test_grep "^ft-convert: t-nohdr.ft2: byte 14: interval 0: class 0: SIXT records (/8-optimised destinations): the first octet must be given (--slash-eight)$" err
'
test_expect_success 'FT2 on stdin, and -V 2' '
  ft-convert --quiet -F avro <u.ft2.gz >x.avro && cmp u.avro x.avro &&
  ft-convert --quiet -F avro -V 2 - <u.ft2 >x.avro && cmp u.avro x.avro
'
test_expect_success '--dst-prefix 24 splits the /16' '
  ft-convert --quiet --dst-prefix 24 u.ft2 | records >got &&
  test "$(grep -c "\"src_ip\":16909060,\"dst_net\":738263552," got)" -eq 2 &&
  test "$(grep -c "\"src_ip\":16909060,\"dst_net\":738265344," got)" -eq 1 &&
  test "$(wc -l <got)" -eq 7
'
test_expect_success 'hourly FT2 files given out of order are merged in time order' '
  echo "{\"intervals\": [{\"number\": 0, \"time\": $((T + 3600)), \"classes\": [[(\"1.2.3.4\", \"44.1.2.3\", 5000, 23, 6, 60, 2, 40, 7)], [], []]}]}" |
    $FT2W | gzip >h2.ft2.gz &&
  ft-convert --quiet h2.ft2.gz u.ft2.gz 2>err | records >got &&
  test ! -s err && test "$(wc -l <got)" -eq 7 &&
  head -n 6 got >got6 && check_records ft2.want got6 &&
  tail -n 1 got | test_grep "\"time\":$((T + 3600)),.*\"packet_cnt\":7,"
'
test_expect_success '-w TEMPLATE: one complete file per interval, nothing else' '
  ft-convert --quiet -w "ft4/%Y/%m/%d/ft4_%s.avro" u.ft2 &&
  (cd ft4 && find . -type f | sort) >files &&
  printf "./2021/02/13/ft4_%s.avro\n./2021/02/13/ft4_%s.avro\n" $T $((T + 300)) >files.want &&
  test_cmp files.want files &&
  records ft4/2021/02/13/ft4_$T.avro >got && head -n 5 ft2.want >want5 &&
  check_records want5 got
'
test_expect_success '--interval 60 keeps the source intervals' '
  ft-convert --quiet --interval 60 u.ft2 | records >got &&
  test "$(wc -l <got)" -eq 7 &&
  grep "\"time\":$((T + 60))," got | test_grep "\"packet_cnt\":6,"
'

# ---- FT3 ----
cat >ft3w.py <<'EOF'
import ast, sys
import avro.datafile, avro.io, avro.schema
FIELDS = [("time", "long"), ("src_ip", "long"), ("dst_ip", "long"),
          ("src_port", "int"), ("dst_port", "int"), ("protocol", "int"),
          ("ttl", "int"), ("tcp_flags", "int"), ("ip_len", "int"),
          ("tcp_synlen", "int"), ("tcp_synwinlen", "int"),
          ("packet_cnt", "long"), ("is_spoofed", "int"), ("is_masscan", "int"),
          ("maxmind_continent", "string"), ("maxmind_country", "string"),
          ("netacq_continent", "string"), ("netacq_country", "string"),
          ("prefix2asn", "long")]
out, codec = sys.argv[1], sys.argv[2]
fields = FIELDS
if len(sys.argv) > 3:   # a wrong schema: drop the named field
    fields = [f for f in FIELDS if f[0] != sys.argv[3]]
schema = avro.schema.parse(str({"type": "record", "name": "flowtuple",
    "namespace": "org.caida.corsaro",
    "fields": [{"name": n, "type": t} for n, t in fields]}).replace("'", '"'))
def ip(a):
    p = [int(x) for x in a.split(".")]
    return p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]
with open(out, "wb") as f:
    w = avro.datafile.DataFileWriter(f, avro.io.DatumWriter(), schema, codec=codec)
    for line in sys.stdin:
        if not line.strip():
            continue
        v = list(ast.literal_eval(line))
        v[1], v[2] = ip(v[1]), ip(v[2])
        w.append({n: x for (n, _), x in zip(FIELDS, v) if n in dict(fields)})
    w.close()
EOF
# time src dst sport dport proto ttl flags ip_len synlen synwin cnt spoofed masscan mm_cont mm_country na_cont na_country asn
cat >ft3.txt <<EOF
($T, "1.2.3.4", "44.1.2.3", 5000, 23, 6, 60, 0x10, 40, 0, 0, 5, 0, 0, "??", "??", "??", "??", 0)
($T, "1.2.3.4", "44.1.2.4", 5001, 23, 6, 250, 0x02, 44, 24, 1024, 3, 0, 1, "EU", "??", "??", "??", 0)
($T, "5.6.7.8", "44.3.0.1", 3, 1, 1, 50, 0, 56, 0, 0, 4, 0, 0, "AS", "JP", "AS", "JP", 2497)
($T, "5.6.7.9", "44.3.0.2", 53, 1900, 17, 50, 0x02, 120, 20, 512, 1, 1, 0, "??", "??", "??", "??", 0)
($T, "5.6.7.10", "44.3.0.3", 7, 9, 41, 50, 0, 80, 0, 0, 2, 1, 0, "", "", "??", "??", 0)
($((T + 60)), "1.2.3.4", "44.1.2.5", 5002, 23, 6, 60, 0x02, 40, 20, 65535, 1, 1, 0, "NA", "US", "EU", "DE", 64500)
($((T + 60)), "1.2.3.4", "44.1.2.5", 5002, 23, 6, 60, 0x02, 40, 28, 8, 1, 0, 0, "OC", "AU", "OC", "AU", 1)
EOF
cat >ft3.want <<EOF
{"time": $T, "src_ip": 16909060, "dst_net": 738263040, "dst_port": 23, "protocol": 6, "packet_cnt": 10, "uniq_dst_ips": 3, "uniq_pkt_sizes": 2, "uniq_ttls": 2, "uniq_src_ports": 3, "uniq_tcp_flags": 2, "first_syn_length": 24, "first_tcp_rwin": 1024, "common_pktsizes": [40], "common_pktsize_freqs": [7], "common_ttls": [60], "common_ttl_freqs": [7], "common_srcports": [5000], "common_srcport_freqs": [5], "common_tcpflags": [2, 16], "common_tcpflag_freqs": [5, 5], "maxmind_continent": "EU", "maxmind_country": "US", "netacq_continent": "EU", "netacq_country": "DE", "prefix2asn": 64500, "spoofed_packet_cnt": 1, "masscan_packet_cnt": 3}
{"time": $T, "src_ip": 84281096, "dst_net": 738394112, "dst_port": 769, "protocol": 1, "packet_cnt": 4, "uniq_src_ports": 0, "first_syn_length": 0, "maxmind_continent": "AS", "maxmind_country": "JP", "netacq_continent": "AS", "netacq_country": "JP", "prefix2asn": 2497, "spoofed_packet_cnt": 0}
{"time": $T, "src_ip": 84281097, "dst_net": 738394112, "dst_port": 1900, "protocol": 17, "packet_cnt": 1, "first_syn_length": 0, "first_tcp_rwin": 0, "uniq_tcp_flags": 0, "common_srcports": [53], "spoofed_packet_cnt": 1, "maxmind_continent": "??", "prefix2asn": 0}
{"time": $T, "src_ip": 84281098, "dst_net": 738394112, "dst_port": 0, "protocol": 41, "packet_cnt": 2, "uniq_src_ports": 0, "maxmind_continent": "??", "maxmind_country": "??", "spoofed_packet_cnt": 2}
EOF

for codec in null deflate snappy; do
  test_expect_success "FT3 ($codec): every field of every record" "
    $PY ft3w.py ft3-$codec.avro $codec <ft3.txt &&
    ft-convert ft3-$codec.avro 2>stats | records >got && check_records ft3.want got &&
    test_grep '7 records of 17 packets read' stats
  "
done
test_expect_success 'FT3 files are merged in time order, FT2 and FT3 together' '
  head -n 5 ft3.txt | $PY ft3w.py a.ft3 null && tail -n 2 ft3.txt | $PY ft3w.py b.ft3 deflate &&
  ft-convert --quiet b.ft3 a.ft3 | records >got && check_records ft3.want got &&
  ft-convert --quiet -V 3 a.ft3 b.ft3 | records >got && check_records ft3.want got &&
  ft-convert --quiet u.ft2 b.ft3 a.ft3 | records >got && test "$(wc -l <got)" -eq 9 &&
  grep "^{\"time\":$T,\"src_ip\":16909060," got | test_grep "\"packet_cnt\":20,.*\"first_syn_length\":24,"
'
test_expect_success 'FT3 with a wrong schema (an FT4 file, a missing field) is refused' '
  ft-convert --quiet -F avro u.ft2 >ft4.avro &&
  test_must_fail ft-convert --quiet ft4.avro >out 2>err &&
  test_grep "^ft-convert: ft4.avro: schema: not FT3: field .dst_ip. missing$" err &&
  $PY ft3w.py nottl.avro null ttl <ft3.txt &&
  test_must_fail ft-convert --quiet nottl.avro u.ft2 2>err | records >got &&
  test_grep "^ft-convert: nottl.avro: schema: not FT3: field .ttl. missing$" err &&
  test "$(wc -l <got)" -eq 6
'

# ---- broken inputs: one line naming file and offset; the rest converts ----
test_expect_success 'a file that is neither FT2 nor FT3' '
  echo "hello world" >x.bin &&
  test_must_fail ft-convert --quiet x.bin u.ft2 2>err | records >got &&
  test_grep "^ft-convert: x.bin: not an FT2 or FT3 file" err && test "$(wc -l <got)" -eq 6
'
test_expect_success 'corrupt gzip: file and byte named, other files convert, exit 1' '
  $PY -c "
import sys
d = bytearray(open(\"u.ft2.gz\", \"rb\").read())
for i in range(20, len(d) - 8): d[i] ^= 0x55
open(\"bad.ft2.gz\", \"wb\").write(d)" &&
  test_must_fail ft-convert --quiet bad.ft2.gz h2.ft2.gz 2>err | records >got &&
  test_grep "^ft-convert: bad.ft2.gz: byte [0-9]*: gzip: " err &&
  test "$(wc -l <got)" -eq 1
'
test_expect_success 'a wrong magic: the byte named' '
  printf "EDGRFOOT\0\0\0\0\0\0" >foot.ft2 &&
  test_must_fail ft-convert --quiet foot.ft2 2>err >/dev/null &&
  test_grep "^ft-convert: foot.ft2: byte 0: not an FT2 file (starts 45 44 47 52 46 4f 4f 54)$" err &&
  head -c 14 u-nohdr.ft2 >m.ft2 && printf "XXXX\0\0\0\0\0\2" >>m.ft2 && tail -c +25 u-nohdr.ft2 >>m.ft2 &&
  test_must_fail ft-convert --quiet m.ft2 2>err >out &&
  test_grep "^ft-convert: m.ft2: byte 14: interval 0: class 0: bad magic 0x58585858$" err
'
test_expect_success 'a record count past the end: nothing of that interval written' '
  echo "{\"intervals\": [{\"number\": 0, \"time\": $((T + 600)), \"classes\": [[(\"1.2.3.4\", \"44.1.2.3\", 5000, 23, 6, 60, 2, 40, 7)], [], []]},
    {\"number\": 1, \"time\": $((T + 900)), \"classes\": [[(\"1.2.3.4\", \"44.1.2.3\", 5000, 23, 6, 60, 2, 40, 7)], [], []], \"counts\": [3, None, None]}]}" |
    $FT2W | gzip >trunc.ft2.gz &&
  test_must_fail ft-convert --quiet -w "w/%s.avro" trunc.ft2.gz u.ft2 2>err &&
  test_grep "^ft-convert: trunc.ft2.gz: byte 111: interval 1: class 0: 3 records of 21 bytes run past the end of the data (1 read)$" err &&
  test_grep "^ft-convert: interval $((T + 900)) (2021-02-13T18:15:00Z) not written: trunc.ft2.gz: byte 111: " err &&
  test "$(wc -l <err)" -eq 2 &&
  ls w >files && printf "%s.avro\n" $T $((T + 300)) $((T + 600)) >files.want && test_cmp files.want files
'
test_expect_success 'an interval without its end marker: the next interval still converts' '
  echo "{\"intervals\": [{\"number\": 0, \"time\": $T, \"end\": False, \"classes\": [[(\"1.2.3.4\", \"44.1.2.3\", 5000, 23, 6, 60, 2, 40, 7)], [], []]},
    {\"number\": 1, \"time\": $((T + 300)), \"classes\": [[(\"1.2.3.4\", \"44.1.2.3\", 5000, 23, 6, 60, 2, 40, 5)], [], []]},
    {\"number\": 2, \"time\": $((T + 600)), \"end\": False, \"classes\": [[], [], []]}]}" |
    $FT2W >noend.ft2 &&
  test_must_fail ft-convert --quiet noend.ft2 2>err | records >got &&
  test_grep "^ft-convert: noend.ft2: byte 83: interval 0 ($T) ends without its end marker (found interval 1.s start)$" err &&
  test_grep "^ft-convert: noend.ft2: byte 242: interval 2 ($((T + 600))) ends without its end marker (end of data)$" err &&
  test_grep "^ft-convert: interval $T (2021-02-13T18:00:00Z) not written: " err &&
  test_grep "^ft-convert: interval $((T + 600)) (2021-02-13T18:10:00Z) not written: " err &&
  test "$(wc -l <got)" -eq 1 && test_grep "\"time\":$((T + 300)),.*\"packet_cnt\":5," got
'
test_expect_success 'an FT3 file broken in its first block: nothing of it converts' '
  n=$(wc -c <ft3-null.avro) && head -c $((n - 30)) ft3-null.avro >cut.ft3 &&
  test_must_fail ft-convert --quiet cut.ft3 u.ft2 2>err | records >got &&
  test_grep "^ft-convert: cut.ft3: block 1: truncated$" err &&
  test "$(wc -l <err)" -eq 1 && check_records ft2.want got
'

# ---- consistency with ft-aggregate ----
test_expect_success 'FT3 derived from a pcap converts to what ft-aggregate makes of it' '
  telescope-gen --seed 7 --packets 40000 --duration 1200 -w tg.pcap &&
  pcap2ft3 tg.pcap tg.ft3 && pcap2ft3 -c snappy -p tg.pcap min- &&
  test "$(ls min-*.ft3.avro | wc -l)" -eq 20 &&
  for p in 16 24; do
    ft-aggregate --quiet --dst-prefix $p -F avro -r tg.pcap >agg.avro &&
    ft-convert --quiet --dst-prefix $p -F avro tg.ft3 >conv.avro &&
    cmp agg.avro conv.avro &&
    ft-convert --quiet --dst-prefix $p -F avro min-*.ft3.avro >conv.avro &&
    cmp agg.avro conv.avro || exit 1
  done &&
  ft-aggregate --quiet -r tg.pcap -w "agg-w/%s.avro" &&
  test "$(ft-cat --count agg.avro)" -gt 1000
'
test_expect_success 'FT2 derived from the same pcap: equal but for what FT2 lacks' '
  pcap2ft3 -2 tg.pcap tg.ft2.gz &&
  f=time,src_ip,dst_net,dst_port,protocol,packet_cnt,uniq_dst_ips,uniq_pkt_sizes,uniq_ttls,uniq_src_ports,uniq_tcp_flags &&
  f=$f,common_pktsizes,common_pktsize_freqs,common_ttls,common_ttl_freqs,common_srcports,common_srcport_freqs,common_tcpflags,common_tcpflag_freqs &&
  ft-aggregate --quiet -F avro -r tg.pcap >agg16.avro && ft-cat -F csv --fields $f agg16.avro >agg.csv &&
  ft-convert --quiet -F csv --fields $f tg.ft2.gz >ft2.csv && test_cmp agg.csv ft2.csv &&
  ft-convert --quiet -F csv --fields first_syn_length,first_tcp_rwin,spoofed_packet_cnt,masscan_packet_cnt,prefix2asn tg.ft2.gz |
    sort -u >zero.csv && printf "0,0,0,0,0\nfirst_syn_length,first_tcp_rwin,spoofed_packet_cnt,masscan_packet_cnt,prefix2asn\n" >zero.want &&
  test_cmp zero.want zero.csv
'
test_expect_success 'an FT3 file cut in a later block: its interval not written' '
  n=$(wc -c <tg.ft3) && head -c $((n / 2)) tg.ft3 >tg-cut.ft3 &&
  test_must_fail ft-convert --quiet -w "cut/%s.avro" tg-cut.ft3 2>err &&
  test_grep "^ft-convert: tg-cut.ft3: block [0-9]*: truncated$" err &&
  iv=$(sed -n "s/^ft-convert: interval \([0-9]*\) (.*) not written: tg-cut.ft3: block [0-9]*: truncated$/\1/p" err) &&
  test -n "$iv" && test "$(wc -l <err)" -eq 2 && test ! -e cut/$iv.avro &&
  for f in cut/*.avro; do cmp $f agg-w/$(basename $f) || exit 1; done &&
  test "$(ls cut | wc -l)" -ge 1 && ! ls -a cut | grep -q tmp
'
test_expect_success 'twelve 1-minute FT3 files make 5-minute FT4 files' '
  ft-convert --quiet -w "five/%H%M.avro" $(ls min-*.ft3.avro | head -n 12) &&
  ls five >files && test "$(wc -l <files)" -eq 3 &&
  ft-aggregate --quiet -r tg.pcap -w "agg/%H%M.avro" &&
  for f in $(cat files | head -n 2); do cmp five/$f agg/$f || exit 1; done
'
test_done
