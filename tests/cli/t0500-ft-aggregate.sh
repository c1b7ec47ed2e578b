#!/bin/sh
# ft-aggregate: packets written by real libpcap to exact FT4 records.
. "$(dirname "$0")/lib.sh"

# json of every record, integers for addresses: one line per record
records() { ft-cat -F json --ip-format int "$@"; }

T=1613239200
cat >mix.txt <<MIX
line($T.5, eth(ip4("1.2.3.4", "44.1.2.3", tcp(5000, 23, "S"))))
line($T+1, eth(ip4("1.2.3.4", "44.1.9.9", tcp(5001, 23, "S"), ttl=60)))
line($T+2, eth(ip4("9.9.9.1", "44.2.0.5", tcp(40000, 80, "S", win=1024), ttl=250)))
line($T+3, eth(ip4("9.9.9.2", "44.2.0.6", udp(1234, 80), ttl=50)))
line($T+4, eth(ip4("9.9.9.3", "44.2.0.7", icmp(8, 0), ttl=100)))
line($T+5, eth(ip4("9.9.9.3", "44.2.0.8", icmp(3, 3), ttl=100)))
line($T+6, eth(ip4("9.9.9.4", "44.2.0.9", raw(47), ttl=100)))
line($T+7, eth(b"\\0" * 28, ethertype=0x0806))
line($T+8, eth(b"\\x60" + b"\\0" * 39, ethertype=0x86dd))
line($T+9, eth(ip4("9.9.9.0", "44.3.0.1", udp(5353, 53), ttl=30)))
MIX
mkpcap 1 mix.pcap <mix.txt || exit 1

test_expect_success '--help and --version' '
  ft-aggregate --help >out && test_grep "^Usage: ft-aggregate" out &&
  ft-aggregate --version | test_grep "^ft-aggregate (fttools)"
'
test_expect_code 2 'bad option exits 2' 'ft-aggregate --bogus -r mix.pcap'
test_expect_code 2 'bad --interval exits 2' 'ft-aggregate --interval 0 -r mix.pcap'
test_expect_code 2 'bad --dst-prefix exits 2' 'ft-aggregate --dst-prefix 20 -r mix.pcap'
test_expect_code 2 'a BPF syntax error exits 2' 'ft-aggregate -r mix.pcap "tcp port" >/dev/null'
test_expect_success 'a missing file exits 1 naming it' '
  test_must_fail ft-aggregate -r nope.pcap 2>err && test_grep "nope.pcap" err
'
test_expect_success 'a file that is not a capture is refused' '
  echo hello >x.pcap && test_must_fail ft-aggregate -r x.pcap 2>err &&
  test_grep "^ft-aggregate: x.pcap: " err
'
test_expect_success 'an unsupported link type is named' '
  echo "line($T, b\"\\0\" * 40)" | mkpcap 105 wifi.pcap &&
  test_must_fail ft-aggregate -r wifi.pcap 2>err &&
  test_grep "^ft-aggregate: wifi.pcap: unsupported link type IEEE802_11 (105)$" err
'

test_expect_success 'every field of every record of a mixed capture' '
  ft-aggregate -r mix.pcap 2>stats | records >got &&
  cat >want <<-\EOF &&
	{"time": 1613239200, "src_ip": 16909060, "dst_net": 738263040, "dst_port": 23, "protocol": 6, "packet_cnt": 2, "uniq_dst_ips": 2, "uniq_pkt_sizes": 1, "uniq_ttls": 2, "uniq_src_ports": 2, "uniq_tcp_flags": 1, "first_syn_length": 20, "first_tcp_rwin": 1024, "common_pktsizes": [40], "common_pktsize_freqs": [2], "common_ttls": [], "common_ttl_freqs": [], "common_srcports": [], "common_srcport_freqs": [], "common_tcpflags": [2], "common_tcpflag_freqs": [2], "maxmind_continent": "??", "maxmind_country": "??", "netacq_continent": "??", "netacq_country": "??", "prefix2asn": 0, "spoofed_packet_cnt": 0, "masscan_packet_cnt": 0}
	{"src_ip": 151587072, "dst_net": 738394112, "dst_port": 53, "protocol": 17, "packet_cnt": 1, "spoofed_packet_cnt": 1, "masscan_packet_cnt": 0, "uniq_src_ports": 1, "common_srcports": [5353], "uniq_tcp_flags": 0, "common_tcpflags": []}
	{"src_ip": 151587073, "dst_net": 738328576, "dst_port": 80, "protocol": 6, "packet_cnt": 1, "spoofed_packet_cnt": 0, "masscan_packet_cnt": 1, "common_ttls": [250], "first_tcp_rwin": 1024}
	{"src_ip": 151587074, "dst_net": 738328576, "dst_port": 80, "protocol": 17, "packet_cnt": 1, "spoofed_packet_cnt": 1, "masscan_packet_cnt": 0, "common_pktsizes": [36], "common_srcports": [1234], "common_srcport_freqs": [1]}
	{"src_ip": 151587075, "dst_net": 738328576, "dst_port": 771, "protocol": 1, "packet_cnt": 1, "spoofed_packet_cnt": 0, "uniq_src_ports": 0, "common_srcports": []}
	{"src_ip": 151587075, "dst_net": 738328576, "dst_port": 2048, "protocol": 1, "packet_cnt": 1, "spoofed_packet_cnt": 0}
	{"src_ip": 151587076, "dst_net": 738328576, "dst_port": 0, "protocol": 47, "packet_cnt": 1, "spoofed_packet_cnt": 1, "uniq_src_ports": 0, "uniq_tcp_flags": 0}
	EOF
  check_records want got &&
  test_grep "10 packets read, 8 aggregated, 2 not IPv4, 0 malformed, 0 truncated, 0 late" stats &&
  test_grep "7 records in 1 intervals" stats
'
test_expect_success 'the same input gives byte-identical output' '
  ft-aggregate --quiet -F avro -r mix.pcap >a.avro &&
  ft-aggregate --quiet -F avro -r mix.pcap >b.avro && cmp a.avro b.avro &&
  ft-aggregate --quiet -r mix.pcap >a.fr && ft-aggregate --quiet -r mix.pcap >b.fr &&
  cmp a.fr b.fr
'
test_expect_success 'reads the capture from stdin' '
  ft-aggregate --quiet -r - <mix.pcap | records >got2 &&
  ft-aggregate --quiet -r mix.pcap | records >got1 && test_cmp got1 got2 &&
  ft-aggregate --quiet <mix.pcap | records >got3 && test_cmp got1 got3
'
test_expect_success 'several files are read in order as one stream' '
  head -c 24 mix.pcap >empty.pcap &&
  ft-aggregate --quiet -r empty.pcap -r mix.pcap -r empty.pcap | records >got4 &&
  ft-aggregate --quiet -r mix.pcap | records >got1 && test_cmp got1 got4
'
test_expect_success 'a BPF filter keeps only matching packets' '
  ft-aggregate --quiet -r mix.pcap udp | ft-cat --count >n && echo 2 >exp && test_cmp exp n &&
  ft-aggregate --quiet -r mix.pcap tcp and dst port 23 | ft-cat --count >n &&
  echo 1 >exp && test_cmp exp n
'
test_expect_success '/24 destination networks' '
  ft-aggregate --quiet --dst-prefix 24 -r mix.pcap | ft-cat -F csv --no-header --fields dst_net -n 1 >out &&
  echo 44.1.2.0 >exp && test_cmp exp out &&
  ft-aggregate --quiet --dst-prefix 24 -r mix.pcap | ft-cat --count >n && echo 8 >exp && test_cmp exp n
'
test_expect_success 'no packets still gives a valid, empty stream' '
  head -c 24 mix.pcap >empty.pcap &&
  ft-aggregate --quiet -r empty.pcap | ft-cat --count >n && echo 0 >exp && test_cmp exp n
'

for lt in "1 eth(%s, vlans=((0x8100, 5),))" "1 eth(%s, vlans=((0x88a8, 5), (0x8100, 7)))" \
          "12 %s" "228 %s" "113 sll(%s)" "276 sll2(%s)" "0 null(%s)" "108 null(%s, big=True)"; do
  dlt=${lt%% *}; wrap=${lt#* }
  test_expect_success "link type $dlt: $wrap" '
    frame=$(printf "$wrap" "ip4(\"1.2.3.4\", \"44.1.2.3\", udp(7, 9))") &&
    echo "line($T, $frame)" | mkpcap $dlt l.pcap &&
    ft-aggregate -r l.pcap 2>st | records >got &&
    echo "{\"src_ip\": 16909060, \"dst_net\": 738263040, \"dst_port\": 9, \"protocol\": 17, \"packet_cnt\": 1}" >want &&
    check_records want got && test_grep "1 aggregated" st
  '
done

test_expect_success 'late packets are counted, not merged elsewhere' '
  printf "line(100, P)\nline(130, P)\nline(115, P)\nline(125, P)\n" |
    sed "s/P/ip4(\"1.2.3.4\", \"44.1.2.3\", udp(7, 9))/" | mkpcap 228 late.pcap &&
  ft-aggregate --interval 60 --reorder 10 -r late.pcap 2>st | ft-cat -F csv --fields time,packet_cnt >got &&
  printf "time,packet_cnt\n60,1\n120,2\n" >want && test_cmp want got &&
  test_grep "4 packets read, 3 aggregated, 0 not IPv4, 0 malformed, 0 truncated, 1 late" st
'
test_expect_success 'a packet within the reorder window lands in its own interval' '
  printf "line(100, P)\nline(125, P)\nline(119, P)\n" |
    sed "s/P/ip4(\"1.2.3.4\", \"44.1.2.3\", udp(7, 9))/" | mkpcap 228 ro.pcap &&
  ft-aggregate --quiet --interval 60 --reorder 10 -r ro.pcap | ft-cat -F csv --fields time,packet_cnt >got &&
  printf "time,packet_cnt\n60,2\n120,1\n" >want && test_cmp want got
'
test_expect_success 'truncated captures are counted' '
  echo "line($T, eth(ip4(\"1.2.3.4\", \"44.1.2.3\", tcp(1, 2))), 1500)" | mkpcap 1 tr.pcap &&
  ft-aggregate -r tr.pcap 2>st >/dev/null && test_grep "1 truncated" st
'

test_expect_success '-w writes one complete file per interval in the STARDUST layout' '
  printf "line(1613239200, P)\nline(1613239500, P)\nline(1613242800, P)\n" |
    sed "s/P/ip4(\"1.2.3.4\", \"44.1.2.3\", udp(7, 9))/" | mkpcap 228 three.pcap &&
  ft-aggregate --quiet -r three.pcap -w "ds/datasource=t/year=%Y/month=%m/day=%d/hour=%H/t_%s.ft4.avro" &&
  (cd ds && find . -type f | sort) >files &&
  cat >exp <<-\EOF &&
	./datasource=t/year=2021/month=02/day=13/hour=18/t_1613239200.ft4.avro
	./datasource=t/year=2021/month=02/day=13/hour=18/t_1613239500.ft4.avro
	./datasource=t/year=2021/month=02/day=13/hour=19/t_1613242800.ft4.avro
	EOF
  test_cmp exp files &&
  $PY -c "
import avro.datafile, avro.io, glob
fs = glob.glob(\"ds/*/*/*/*/*/*.avro\")
assert len(fs) == 3
for f in fs:
    rows = list(avro.datafile.DataFileReader(open(f, \"rb\"), avro.io.DatumReader()))
    assert len(rows) == 1 and rows[0][\"packet_cnt\"] == 1, (f, rows)
"
'
test_expect_success '-w with %% keeps a literal percent sign' '
  ft-aggregate --quiet -r three.pcap -w "pct/100%%_%s.avro" && test -f pct/100%_1613239200.avro
'
test_expect_success 'an unwritable -w path fails with a message' '
  touch blocker &&
  test_must_fail ft-aggregate --quiet -r three.pcap -w "blocker/x_%s.avro" 2>err &&
  test_grep "^ft-aggregate: blocker" err
'
test_expect_success 'SIGTERM writes what was aggregated and exits 0' '
  mkfifo fifo || exit 1
  ft-aggregate -r fifo -w "sig/x_%s.avro" 2>st &
  pid=$!
  exec 3>fifo &&
  head -c 200 mix.pcap >&3 &&
  sleep 1 && kill -TERM $pid &&
  sleep 1 && exec 3>&- && wait $pid &&
  ls sig/x_1613239200.avro && ! ls sig/*.tmp.* 2>/dev/null
'
test_expect_success '-w with a plain name writes every interval into that one file' '
  ft-aggregate --quiet -r three.pcap -w one/all.avro && ft-cat --count one/all.avro >n &&
  echo 3 >exp && test_cmp exp n
'
test_expect_success '-w with a template too coarse for the intervals is refused, not overwritten' '
  test_must_fail ft-aggregate --quiet -r three.pcap -w "coarse/%Y%m%d.avro" 2>err &&
  test_grep "coarse/20210213.avro: already written for an earlier interval" err
'
# Intervals are sorted, encoded and written on a thread of their own while
# the next ones aggregate: many intervals, with --jitter packets that lag
# into closed ones, must still come out in order, complete and the same
# every time, through every output path.
telescope-gen --packets 40000 --duration 1800 --jitter 30 -w many.pcap || exit 1
test_expect_success 'many intervals: stream and -w files agree, in order, the same every run' '
  ft-aggregate -r many.pcap --interval 60 --reorder 20 2>st1 >m1.fr &&
  ft-aggregate -r many.pcap --interval 60 --reorder 20 2>st2 >m2.fr &&
  cmp m1.fr m2.fr &&
  # the memory peak counts intervals being written: it depends on timing
  sed "s/peak [0-9.]* MiB//" st1 >s1 && sed "s/peak [0-9.]* MiB//" st2 >s2 &&
  test_cmp s1 s2 && test_grep "records in 31 intervals" st1 &&
  test_grep "^ft-aggregate: $(ft-cat --count m1.fr) records" st1 &&
  ft-aggregate --quiet -r many.pcap --interval 60 --reorder 20 -F avro >m1.avro &&
  ft-aggregate --quiet -r many.pcap --interval 60 --reorder 20 -F avro >m2.avro &&
  cmp m1.avro m2.avro &&
  ft-aggregate --quiet -r many.pcap --interval 60 --reorder 20 -w "mw/%s.avro" &&
  test "$(ls mw | wc -l)" = 31 && ! ls mw/*.tmp.* 2>/dev/null &&
  ft-cat -F csv m1.fr >want.csv && ft-cat -F csv m1.avro >got.csv &&
  test_cmp want.csv got.csv &&
  ft-cat -F csv $(ls mw/*.avro | sort) >got.csv && test_cmp want.csv got.csv &&
  ft-cat -F csv --no-header --fields time m1.fr | sort -c -n
'
# Regular files are read and parsed on a thread of their own (batches of
# 4096 packets); pipes on the main thread one packet at a time.  Both
# must give the same bytes, statistics and errors.
test_expect_success 'files read on a thread and pipes read inline give the same output' '
  ft-aggregate -r many.pcap --interval 60 2>s1 >t1.fr &&
  cat many.pcap | ft-aggregate -r - --interval 60 2>s2 >t2.fr &&
  FT_READ_AHEAD=0 ft-aggregate -r many.pcap --interval 60 2>s3 >t3.fr &&
  ft-aggregate -r - --interval 60 <many.pcap 2>s4 >t4.fr &&
  cmp t1.fr t2.fr && cmp t1.fr t3.fr && cmp t1.fr t4.fr &&
  for s in s1 s2 s3 s4; do sed "s/peak [0-9.]* MiB//" $s >$s.n; done &&
  test_cmp s1.n s2.n && test_cmp s1.n s3.n && test_cmp s1.n s4.n &&
  test_grep "40000 packets" s1
'
test_expect_success 'a capture cut inside packet 5000: same error on both paths, no output' '
  off=$($PY -c "import struct, sys
d = open(sys.argv[1], \"rb\").read()
o = 24
for i in range(4999):
    o += 16 + struct.unpack_from(\"<I\", d, o + 8)[0]
print(o + 10)" many.pcap) &&
  head -c $off many.pcap >cut.pcap &&
  { ft-aggregate --quiet -r many.pcap -r cut.pcap -w out1.fr 2>e1; test $? -eq 1; } &&
  { cat cut.pcap | ft-aggregate --quiet -r - -w out2.fr 2>e2; test $? -eq 1; } &&
  test_grep "^ft-aggregate: cut.pcap: packet 5000: truncated\$" e1 &&
  test_grep "^ft-aggregate: (stdin): packet 5000: truncated\$" e2 &&
  test $(wc -l <e1) = 1 && test $(wc -l <e2) = 1 && ! ls out1.fr* out2.fr* 2>/dev/null
'
test_expect_success 'a write error in a later interval: one line, exit 1, nothing after it' '
  mkdir -p bad && echo x >bad/1612130220 &&
  { ft-aggregate --quiet -r many.pcap --interval 60 --reorder 20 \
      -w "bad/%s/x.avro" 2>err; test $? -eq 1; } &&
  test $(wc -l <err) -eq 1 && test_grep "^ft-aggregate: .*bad/1612130220" err &&
  ls bad/1612130100/x.avro bad/1612130160/x.avro &&
  test "$(find bad -name "*.avro*" | wc -l)" = 2
'
test_done
