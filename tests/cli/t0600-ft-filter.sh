#!/bin/sh
# ft-filter: options, errors, and its answers checked against SQLite.
. "$(dirname "$0")/lib.sh"

# Handcrafted records (python3-avro writes them): the seed talk's two,
# and the edges of its three questions (TTL 199/200/255/256, the borders
# of 130.0.0.0/8, RU flows around 60000 destinations, empty arrays).
cat >recs.json <<'JSON'
{"time":1613239200,"src_ip":16824709,"dst_net":738263040,"dst_port":771,"protocol":1,"packet_cnt":2,"uniq_dst_ips":1,"uniq_pkt_sizes":2,"uniq_ttls":1,"common_ttls":[44],"common_ttl_freqs":[2],"netacq_continent":"AS","netacq_country":"TH","prefix2asn":23969}
{"time":1613239800,"src_ip":3239906926,"dst_net":738197504,"dst_port":5060,"protocol":17,"packet_cnt":64942,"uniq_dst_ips":64942,"uniq_pkt_sizes":13,"uniq_ttls":1,"uniq_src_ports":1,"common_ttls":[49],"common_ttl_freqs":[64942],"common_srcports":[5181],"common_srcport_freqs":[64942],"netacq_continent":"EU","netacq_country":"RU","prefix2asn":35478}
{"time":1613239500,"src_ip":2181038080,"dst_net":738263040,"dst_port":23,"protocol":6,"packet_cnt":3,"uniq_dst_ips":60000,"common_ttls":[64,200],"common_ttl_freqs":[1,2],"netacq_country":"RU"}
{"time":1613239500,"src_ip":2197815295,"dst_net":738263040,"dst_port":22,"protocol":6,"packet_cnt":1,"uniq_dst_ips":59999,"common_ttls":[255],"common_ttl_freqs":[1],"netacq_country":"RU"}
{"time":1613239500,"src_ip":2181038079,"dst_net":738263040,"dst_port":2323,"protocol":6,"packet_cnt":1,"uniq_dst_ips":60001,"common_ttls":[199],"common_ttl_freqs":[1],"netacq_country":"UA"}
{"time":1613240100,"src_ip":2197815296,"dst_net":738263040,"dst_port":445,"protocol":6,"packet_cnt":1,"common_ttls":[256,1],"common_ttl_freqs":[1,1]}
{"time":1613240100,"src_ip":4294967295,"dst_net":4294901760,"dst_port":0,"protocol":47,"packet_cnt":1}
{"time":1613240100,"src_ip":0,"dst_net":0,"dst_port":65535,"protocol":17,"packet_cnt":1,"uniq_dst_ips":65536,"netacq_country":"RU"}
JSON
$PY "$FT_TOP/tests/tools/ft4-json2avro.py" hand.avro <recs.json || exit 1

test_expect_success '--help prints usage to stdout' '
  ft-filter --help >out && test_grep "^Usage: ft-filter" out
'
test_expect_success '--version' '
  ft-filter --version >out && test_grep "^ft-filter (fttools) [0-9]" out
'
test_expect_code 2 'unknown option exits 2' 'ft-filter --bogus "dst_port == 1" hand.avro'
test_expect_success 'unknown option says how to get help' '
  test_must_fail ft-filter --bogus 2>err && test_grep "Try .ft-filter --help." err
'
test_expect_success '--help-fields lists every field' '
  ft-filter --help-fields >out && test $(wc -l <out) -eq 28
'
test_expect_code 2 'no expression exits 2' 'ft-filter'
test_expect_success 'no expression is named' '
  test_must_fail ft-filter 2>err && test_grep "no expression given" err
'

# Expression errors: exit 2, before any input is opened or read.
printf "%s\n" "ft-filter: expression: expected a value after '>=' at column 16" \
  "  uniq_dst_ips >= " "                 ^" >caret.exp
test_expect_code 2 'a syntax error exits 2' 'ft-filter "uniq_dst_ips >= " hand.avro'
test_expect_success 'a syntax error shows the expression and a caret' '
  test_must_fail ft-filter "uniq_dst_ips >= " nope.avro 2>err &&
  test_cmp caret.exp err
'
test_expect_success 'an unknown field suggests the nearest name' '
  test_must_fail ft-filter "netacq_countyr == \"RU\"" nope.avro 2>err &&
  cat >exp <<-\EOF &&
	ft-filter: expression: unknown field '"'"'netacq_countyr'"'"' (did you mean '"'"'netacq_country'"'"'?) at column 1
	  netacq_countyr == "RU"
	  ^
	EOF
  test_cmp exp err
'
test_expect_success 'a type mismatch is named' '
  test_must_fail ft-filter "uniq_dst_ips >= \"RU\"" nope.avro 2>err &&
  test_grep "type mismatch: uniq_dst_ips is a number, \"RU\" is a string at column 17" err &&
  test_must_fail ft-filter "dst_port in 10.0.0.0/8" hand.avro 2>err &&
  test_grep "type mismatch: dst_port is a number, .10.0.0.0/8. is an IPv4 prefix" err &&
  test_must_fail ft-filter "netacq_country in 1..5" hand.avro 2>err &&
  test_grep "type mismatch: netacq_country is a string" err
'
test_expect_success 'the expression is checked before stdin is read' '
  echo "not read" >in.txt &&
  test_must_fail ft-filter "dst_port ==" <in.txt 2>err &&
  test_grep "expected a value after .==." err && ! test_grep "not FT4 data" err
'
test_expect_success 'an error in the second -e names it' '
  test_must_fail ft-filter -e "dst_port == 1" -e "dst_port = = 2" hand.avro 2>err &&
  test_grep "^ft-filter: expression 2: expected a value after .=., found .=. at column 12$" err
'
test_expect_success 'an error in a -f file names the file and the line' '
  printf "# scans\ndst_port == 23\n  and protocl == tcp\n" >bad.flt &&
  test_must_fail ft-filter -f bad.flt hand.avro 2>err &&
  cat >exp <<-\EOF &&
	ft-filter: bad.flt: unknown field '"'"'protocl'"'"' (did you mean '"'"'protocol'"'"'?) at line 3, column 7
	    and protocl == tcp
	        ^
	EOF
  test_cmp exp err
'
test_expect_code 2 'a missing -f file exits 2' 'ft-filter -f nope.flt hand.avro'
test_expect_code 2 'a bad --from exits 2' 'ft-filter --from yesterday "dst_port == 1" hand.avro'
test_expect_code 2 '--to before --from exits 2' 'ft-filter --from 20 --to 10 "dst_port == 1" hand.avro'
test_expect_code 2 '--intersect needs two filters' 'ft-filter --intersect -e "dst_port == 1" hand.avro'
test_expect_code 2 '--fail with --intersect exits 2' 'ft-filter --intersect --fail f.avro -e "dst_port == 1" -e "protocol == 1" hand.avro'
test_expect_code 2 '--fail and -w the same file exits 2' 'ft-filter --fail x.avro -w x.avro "dst_port == 1" hand.avro'
test_expect_code 2 '--fail - while records go to stdout exits 2' 'ft-filter --fail - "dst_port == 1" hand.avro'

# Data errors: exit 1.
test_expect_success 'empty input is an error naming stdin' '
  test_must_fail ft-filter "dst_port == 1" </dev/null 2>err &&
  test_grep "^ft-filter: (stdin): empty input$" err
'
test_expect_code 1 'a missing input exits 1' 'ft-filter "dst_port == 1" nope.avro'
test_expect_success 'corrupt input leaves no -w or --fail file and no temporary' '
  head -c 300 hand.avro >cut.avro &&
  test_must_fail ft-filter -w pass.avro --fail fail.avro "dst_port == 23" hand.avro cut.avro 2>err &&
  test_grep "^ft-filter: cut.avro: " err &&
  ! test -e pass.avro && ! test -e fail.avro && ! ls ./*.tmp.* 2>/dev/null
'

test_expect_success 'an input with no records gives no records' '
  ft-cat -n 0 -w empty.avro hand.avro &&
  ft-filter --count "dst_port == 1" empty.avro >out && echo 0 >exp && test_cmp exp out &&
  ft-filter -w e2.avro "dst_port == 1" empty.avro && ft-cat --count e2.avro >out &&
  test_cmp exp out
'
test_expect_success 'stdin, - and several files' '
  ft-filter --count "netacq_country == \"RU\"" <hand.avro >out && echo 4 >exp && test_cmp exp out &&
  ft-filter --count "netacq_country == \"RU\"" hand.avro - <hand.avro >out &&
  echo 8 >exp && test_cmp exp out &&
  gzip -c hand.avro | ft-filter --count "netacq_country == '"'"'RU'"'"'" >out &&
  echo 4 >exp && test_cmp exp out
'
test_expect_success 'matching records go through the output layer' '
  ft-filter -F csv --fields src_ip,common_ttls "common_ttls in 200..255" hand.avro >out &&
  cat >exp <<-\EOF &&
	src_ip,common_ttls
	130.0.0.0,"[64,200]"
	130.255.255.255,"[255]"
	EOF
  test_cmp exp out &&
  ft-filter "common_ttls in 200..255" hand.avro | ft-cat -F csv --fields src_ip,common_ttls >out2 &&
  test_cmp exp out2 &&
  ft-filter -w sel.avro "common_ttls in 200..255" hand.avro && avrocat sel.avro >/dev/null &&
  ft-cat -F csv --fields src_ip,common_ttls sel.avro >out3 && test_cmp exp out3
'
test_expect_success 'the seed questions on handcrafted records' '
  ft-filter -F csv --no-header --fields src_ip "src_ip in 130.0.0.0/8" hand.avro >out &&
  printf "130.0.0.0\n130.255.255.255\n" >exp && test_cmp exp out &&
  ft-filter --intersect -e "netacq_country == \"RU\"" -e "uniq_dst_ips >= 60000" hand.avro >out &&
  printf "baseline 4\nintersection 3\n" >exp && test_cmp exp out
'
test_expect_success 'several -e are ANDed; -f reads a filter with comments' '
  ft-filter --count -e "protocol == tcp" -e "dst_port in {22, 23, 2323}" hand.avro >out &&
  echo 3 >exp && test_cmp exp out &&
  printf "# telnet and ssh\nprotocol == tcp   # TCP only\nand dst_port in {22,\n  23, 2323}\n" >scan.flt &&
  ft-filter --count -f scan.flt hand.avro >out && test_cmp exp out &&
  ft-filter --count -f scan.flt -e "src_ip > 130.0.0.0" hand.avro >out &&
  echo 1 >exp && test_cmp exp out
'
test_expect_success '--fail writes the other records in the same pass' '
  ft-filter -w pass.avro --fail fail.avro "common_ttls in 200..255" hand.avro &&
  ft-cat --count pass.avro >p && ft-cat --count fail.avro >f &&
  echo 2 >exp && test_cmp exp p && echo 6 >exp && test_cmp exp f &&
  ft-cat -F json pass.avro fail.avro | sort >a && ft-cat -F json hand.avro | sort >b &&
  test_cmp b a &&
  ft-filter --count --fail f2.avro "common_ttls in 200..255" hand.avro >out &&
  echo 2 >exp && test_cmp exp out && cmp fail.avro f2.avro
'
test_expect_success '--count with -w writes the records too; --fail - with -w' '
  ft-filter --count -w c.avro "common_ttls in 200..255" hand.avro >out &&
  echo 2 >exp && test_cmp exp out && ft-cat --count c.avro >out && test_cmp exp out &&
  ft-filter -w c2.avro --fail - "common_ttls in 200..255" hand.avro | ft-cat --count >out &&
  echo 6 >exp && test_cmp exp out && cmp c.avro c2.avro
'
test_expect_success '--from and --to are inclusive; epoch or ISO-8601' '
  ft-filter --count --from 1613239500 --to 1613239800 "packet_cnt > 0" hand.avro >out &&
  echo 4 >exp && test_cmp exp out &&
  ft-filter --count --from 2021-02-13T18:05:00Z --to "2021-02-13 18:10" "packet_cnt > 0" hand.avro >out &&
  test_cmp exp out &&
  ft-filter --count --to 1613239499 "packet_cnt > 0" hand.avro >out && echo 1 >exp && test_cmp exp out &&
  ft-filter --count --from 1613240100 "packet_cnt > 0" hand.avro >out && echo 3 >exp && test_cmp exp out
'
test_expect_success '--intersect: counts as text, csv or json; -w writes the intersection' '
  set -- -e "netacq_country == \"RU\"" -e "uniq_dst_ips >= 60000" &&
  ft-filter --intersect -F csv "$@" hand.avro >out &&
  printf "baseline,intersection\n4,3\n" >exp && test_cmp exp out &&
  ft-filter --intersect -F json "$@" hand.avro >out &&
  echo "{\"baseline\":4,\"intersection\":3}" >exp && test_cmp exp out &&
  ft-filter --intersect -w sect.avro "$@" -e "dst_port == 5060" --from 1613239800 hand.avro >out &&
  printf "baseline 2\nintersection 1\n" >exp && test_cmp exp out &&
  ft-cat -F csv --no-header --fields src_ip sect.avro >out &&
  echo 193.29.14.110 >exp && test_cmp exp out
'
test_expect_success '--dump-filter prints the compiled filter and reads nothing' '
  ft-filter --dump-filter --from 1613239500 -e "common_ttls in 200..255" -e "not src_ip in 130.0.0.0/8" nope.avro >out &&
  cat >exp <<-\EOF &&
	tree: (time >= 1613239500 and (common_ttls in {200..255} and not (src_ip in {130.0.0.0/8})))
	program: 3 nodes, entry 0
	0  time >= 1613239500  true:1 false:reject
	1  any common_ttls in 200..255  true:2 false:reject
	2  src_ip in 130.0.0.0/8  true:reject false:accept
	EOF
  test_cmp exp out
'

# Proof of correctness: the same questions asked of SQLite (an
# independent engine) over the records exported as CSV must give the same
# counts and the same records.  Data: the handcrafted records, generated
# records with every edge case (tests/recgen.h), and ft-aggregate's output
# for synthetic telescope traffic, geolocated by address ranges.
printf '0.0.0.0,95.255.255.255,RU\n96.0.0.0,127.255.255.255,US\n128.0.0.0,191.255.255.255,CN\n' >na.csv
printf '0.0.0.0,63.255.255.255,DE\n64.0.0.0,200.255.255.255,US\n' >mm.csv
{ telescope-gen --packets 200000 -w t.pcap &&
  ft-aggregate --quiet -r t.pcap --netacq na.csv --maxmind mm.csv -F avro >t.avro &&
  avro-rw gen 20000 7 gen.avro deflate &&
  ft-cat -w all.avro hand.avro gen.avro t.avro &&
  ft-cat -F csv --ip-format int all.avro >all.csv; } >setup.log 2>&1 || { cat setup.log; exit 1; }
cols=$(head -n 1 all.csv)
schema=""
for c in $(echo "$cols" | tr , ' '); do
  case $c in
    common_*|*_continent|*_country) t=TEXT ;;
    *) t=INTEGER ;;
  esac
  schema="$schema${schema:+, }$c $t"
done
sqlite3 ft.db "CREATE TABLE ft ($schema);" ".import --csv --skip 1 all.csv ft" || exit 1

# "any element of the array text satisfies": the array split by SQLite.
anyel() { echo "EXISTS (SELECT 1 FROM json_each($1) WHERE value $2)"; }
# FILTER <TAB> SQL condition, one pair a line
cat >pairs.txt <<EOF
common_ttls in 200..255	$(anyel common_ttls "BETWEEN 200 AND 255")
src_ip in 130.0.0.0/8	(src_ip & 0xFF000000) = (130 << 24)
netacq_country == 'RU'	netacq_country = 'RU'
netacq_country == "RU" and uniq_dst_ips >= 1000	netacq_country = 'RU' AND uniq_dst_ips >= 1000
protocol == tcp and dst_port in {22, 23, 2323}	protocol = 6 AND dst_port IN (22, 23, 2323)
dst_port in {0..1023, 5060} && !(protocol == icmp)	(dst_port BETWEEN 0 AND 1023 OR dst_port = 5060) AND NOT protocol = 1
src_ip in {10.0.0.0/8, 192.168.0.0/16, 31.0.0.0/8, 255.255.255.255/32}	(src_ip >> 24) IN (10, 31) OR (src_ip >> 16) = (192 << 8 | 168) OR src_ip = 4294967295
src_ip in 0.0.0.0/0	src_ip BETWEEN 0 AND 4294967295
src_ip >= 130.0.0.0 and src_ip < 131.0.0.0 or src_ip == 0.0.0.0	(src_ip >= 2181038080 AND src_ip < 2197815296) OR src_ip = 0
common_srcports == 5181	$(anyel common_srcports "= 5181")
common_ttls != 64	NOT $(anyel common_ttls "= 64")
common_ttls not in {0..63, 128}	NOT $(anyel common_ttls "BETWEEN 0 AND 63 OR value = 128")
common_pktsizes > 1000 or common_tcpflags == 2	$(anyel common_pktsizes "> 1000") OR $(anyel common_tcpflags "= 2")
common_ttl_freqs >= 100 and common_pktsize_freqs < 2	$(anyel common_ttl_freqs ">= 100") AND $(anyel common_pktsize_freqs "< 2")
uniq_ttls > 1 and (packet_cnt >= 10 or spoofed_packet_cnt > 0)	uniq_ttls > 1 AND (packet_cnt >= 10 OR spoofed_packet_cnt > 0)
masscan_packet_cnt > 0 and common_ttls in 200..255	masscan_packet_cnt > 0 AND $(anyel common_ttls "BETWEEN 200 AND 255")
maxmind_country in {"US", "CN", '??'}	maxmind_country IN ('US', 'CN', '??')
netacq_country != "??" and not maxmind_country == "DE"	netacq_country <> '??' AND NOT maxmind_country = 'DE'
not (dst_net in 44.0.0.0/16 or dst_net == 44.1.0.0)	NOT (dst_net BETWEEN 738197504 AND 738263039 OR dst_net = 738263040)
first_tcp_rwin == 1024 and first_syn_length == 20	first_tcp_rwin = 1024 AND first_syn_length = 20
prefix2asn in 4000..20000 or prefix2asn == 0 or prefix2asn > 0xffffffff	prefix2asn BETWEEN 4000 AND 20000 OR prefix2asn = 0 OR prefix2asn > 4294967295
dst_port > 60000 || uniq_src_ports <= 1 && !(protocol == udp)	dst_port > 60000 OR (uniq_src_ports <= 1 AND NOT protocol = 17)
time >= "2021-01-31T22:00:00Z" and time < 1612134000	time >= 1612130400 AND time < 1612134000
packet_cnt == 1099511627776 or uniq_dst_ips in 60000..65536	packet_cnt = 1099511627776 OR uniq_dst_ips BETWEEN 60000 AND 65536
protocol not in {tcp, udp, icmp}	protocol NOT IN (6, 17, 1)
EOF
norm() { $PY -c 'import csv, sys
for r in csv.reader(sys.stdin): print("\t".join(r))' | LC_ALL=C sort; }

test_expect_success 'the comparison data holds the cases that matter' '
  test $(sqlite3 ft.db "SELECT count(*) FROM ft") -gt 100000 &&
  test $(sqlite3 ft.db "SELECT count(*) FROM ft WHERE netacq_country = '"'"'RU'"'"' AND uniq_dst_ips >= 1000") -gt 0 &&
  test $(sqlite3 ft.db "SELECT count(*) FROM ft WHERE common_ttls = '"'"'[]'"'"'") -gt 0
'
n=0
while IFS='	' read -r filter cond; do
  n=$((n + 1))
  printf '%s\n' "$filter" >f$n.flt
  printf '%s\n' "$cond" >c$n.sql
  test_expect_success "SQLite agrees: $filter" '
    ft-filter --count -f f'$n'.flt all.avro >count &&
    sqlite3 ft.db "SELECT count(*) FROM ft WHERE $(cat c'$n'.sql)" >want &&
    test_cmp want count && test "$(cat count)" -gt 0 &&
    ft-filter -f f'$n'.flt -F csv --no-header --ip-format int all.avro | norm >got &&
    sqlite3 -csv ft.db "SELECT * FROM ft WHERE $(cat c'$n'.sql)" | norm >want &&
    test_cmp want got
  '
done <pairs.txt

test_expect_success 'SQLite agrees: --fail holds exactly the other records' '
  ft-filter -f f1.flt --fail fail.avro all.avro >/dev/null &&
  ft-cat -F csv --no-header --ip-format int fail.avro | norm >got &&
  sqlite3 -csv ft.db "SELECT * FROM ft WHERE NOT ($(cat c1.sql))" | norm >want &&
  test_cmp want got
'
test_expect_success 'SQLite agrees: --intersect on the seed question 3' '
  ft-filter --intersect -F csv --no-header -e "netacq_country == \"RU\"" \
    -e "uniq_dst_ips >= 1000" all.avro >got &&
  sqlite3 ft.db "SELECT (SELECT count(*) FROM ft WHERE netacq_country = '"'"'RU'"'"') || '"'"','"'"' ||
    (SELECT count(*) FROM ft WHERE netacq_country = '"'"'RU'"'"' AND uniq_dst_ips >= 1000)" >want &&
  test_cmp want got
'
test_expect_success 'SQLite agrees: --from/--to as getFlowtuplesByTimeRange (end inclusive)' '
  ft-filter --count --from 1612130400 --to 1612131300 "packet_cnt >= 0" all.avro >got &&
  sqlite3 ft.db "SELECT count(*) FROM ft WHERE time >= 1612130400 AND time <= 1612131300" >want &&
  test_cmp want got
'
test_done
