#!/bin/sh
# ft-series: per-interval and binned sums and exact distinct counts,
# checked against sqlite3 over `ft-cat -F csv --ip-format int`; formats
# (text, csv, json, graphite, svg); partial results and --merge.
. "$(dirname "$0")/lib.sh"

# Handcrafted: prefix2asn 0 (unknown) is not an AS.
cat >hand.json <<'JSON'
{"time":1613239200,"src_ip":2181038081,"dst_net":738197504,"packet_cnt":5,"prefix2asn":64500}
{"time":1613239200,"src_ip":2181038081,"dst_net":738263040,"packet_cnt":1,"prefix2asn":64500}
{"time":1613239200,"src_ip":2181038082,"dst_net":738263040,"packet_cnt":2,"prefix2asn":0}
{"time":1613239500,"src_ip":2181038083,"dst_net":738197504,"packet_cnt":7,"prefix2asn":0}
{"time":1613242800,"src_ip":2181038084,"dst_net":738197504,"packet_cnt":1,"prefix2asn":64501}
JSON
$PY "$FT_TOP/tests/tools/ft4-json2avro.py" hand.avro <hand.json || exit 1
: | $PY "$FT_TOP/tests/tools/ft4-json2avro.py" empty.avro || exit 1
echo '{"time":1613239260,"packet_cnt":1}' | $PY "$FT_TOP/tests/tools/ft4-json2avro.py" t60.avro || exit 1

# Generated traffic with an AS per /10 (some none), four shards over the
# same hour, so that the merged bins share sources and networks.
awk 'BEGIN { for (i = 1; i < 224; i++) for (j = 0; j < 4; j++) if ((i + j) % 5)
  printf "%d.%d.0.0,%d.%d.255.255,%d\n", i, 64 * j, i, 64 * j + 63, 64500 + (i * 4 + j) % 97 }' >as.csv
for s in 1 2 3 4; do
  telescope-gen --seed $s --packets 50000 -w s$s.pcap &&
    ft-aggregate --quiet -r s$s.pcap --pfx2as as.csv -F avro >shard$s.avro || exit 1
done
ft-cat shard1.avro shard2.avro shard3.avro shard4.avro | ft-cat -w t.avro || exit 1

# The same records in sqlite3; the columns from --help-fields.
ft-cat --help-fields | awk '{ printf "%s%s %s", (NR > 1 ? ", " : "CREATE TABLE ft("), $1,
  ($2 ~ /^(long|int)$/ ? "INTEGER" : "TEXT") } END { print ");" }' >schema.sql || exit 1
ft-cat -F csv --ip-format int t.avro >t.csv && sqlite3 t.db <schema.sql &&
  sqlite3 t.db ".import --csv --skip 1 t.csv ft" || exit 1
# The series in SQL: BIN 1 = per time.
sql_series() { # BIN [WHERE [LABEL]]
  sqlite3 -csv t.db "
    SELECT (time / $1) * $1 AS t, SUM(packet_cnt), COUNT(*), COUNT(DISTINCT src_ip),
           COUNT(DISTINCT dst_net), COUNT(DISTINCT NULLIF(prefix2asn, 0))
           ${3:+, '$3'}
    FROM ft WHERE ${2:-1} GROUP BY t ORDER BY t"
}

test_expect_success '--help prints usage to stdout' '
  ft-series --help >out && test_grep "^Usage: ft-series" out
'
test_expect_success '--version' '
  ft-series --version >out && test_grep "^ft-series (fttools) [0-9]" out
'
test_expect_code 2 'unknown option exits 2' 'ft-series --bogus hand.avro'
test_expect_success 'unknown option says how to get help' '
  test_must_fail ft-series --bogus 2>err && test_grep "Try .ft-series --help." err
'
test_expect_code 2 '--bin not a multiple of the interval exits 2' 'ft-series --bin 450 hand.avro'
test_expect_success '--bin not a multiple of the interval: the message says so' '
  test_must_fail ft-series --bin 450 hand.avro 2>err &&
  test_grep "^ft-series: --bin 450: not a multiple of the 300 s interval (see --interval)$" err
'
test_expect_code 2 'graphite without --label exits 2' 'ft-series -F graphite hand.avro'
test_expect_code 2 'unknown metric exits 2' 'ft-series -m pkts hand.avro'
test_expect_code 2 'a label with a space exits 2' 'ft-series -l "a b" hand.avro'
test_expect_code 2 'bad --format exits 2' 'ft-series -F png hand.avro'

test_expect_success 'text table, ASN 0 not counted' '
  ft-series hand.avro >out &&
  cat >exp <<-\EOF &&
	      time  pkt_cnt  flows  src_ips  dst_nets  asns
	1613239200        8      3        2         2     1
	1613239500        7      1        1         1     0
	1613242800        1      1        1         1     1
	EOF
  test_cmp exp out
'
test_expect_success 'hourly bins, label, iso time, json' '
  ft-series --bin 3600 -l dustdemo.130net --time-format iso -F json hand.avro >out &&
  cat >exp <<-\EOF &&
	{"time":"2021-02-13T18:00:00Z","pkt_cnt":15,"flows":4,"src_ips":3,"dst_nets":2,"asns":1,"key":"dustdemo.130net"}
	{"time":"2021-02-13T19:00:00Z","pkt_cnt":1,"flows":1,"src_ips":1,"dst_nets":1,"asns":1,"key":"dustdemo.130net"}
	EOF
  test_cmp exp out
'
test_expect_success 'graphite plaintext: LABEL.METRIC VALUE TIME' '
  ft-series -F graphite -l dustdemo.130net -m pkt_cnt,src_ips hand.avro >out &&
  cat >exp <<-\EOF &&
	dustdemo.130net.pkt_cnt 8 1613239200
	dustdemo.130net.src_ips 2 1613239200
	dustdemo.130net.pkt_cnt 7 1613239500
	dustdemo.130net.src_ips 1 1613239500
	dustdemo.130net.pkt_cnt 1 1613242800
	dustdemo.130net.src_ips 1 1613242800
	EOF
  test_cmp exp out
'
test_expect_success 'records off the interval grid are refused with --bin' '
  ft-series t60.avro >/dev/null &&
  test_must_fail ft-series --bin 600 t60.avro 2>err &&
  test_grep "t60.avro: record 1: time 1613239260 is not on the 300 s interval grid" err &&
  ft-series --interval 60 --bin 600 -F csv --no-header t60.avro >out &&
  echo 1613239200,1,1,1,1,0 >exp && test_cmp exp out
'
test_expect_success 'empty input: the header only' '
  ft-series -F csv empty.avro >out &&
  echo time,pkt_cnt,flows,src_ips,dst_nets,asns >exp && test_cmp exp out
'

test_expect_success 'per interval, against sqlite3' '
  ft-series -F csv --no-header t.avro >out && sql_series 1 >exp &&
  test $(wc -l <exp) -eq 12 && test_cmp exp out
'
test_expect_success 'bins of 15 minutes and an hour, against sqlite3' '
  ft-series -F csv --no-header --bin 900 t.avro >out && sql_series 900 >exp &&
  test_cmp exp out &&
  ft-series -F csv --no-header --bin 3600 t.avro >out && sql_series 3600 >exp &&
  test_cmp exp out
'
test_expect_success 'seed question 2: 130.0.0.0/8 as dustdemo.130net (sqlite3)' '
  ft-cat -F json --ip-format int t.avro | $PY -c "
import json, sys
for l in sys.stdin:
    if json.loads(l)[\"src_ip\"] >> 24 == 130: sys.stdout.write(l)
" | $PY "$FT_TOP/tests/tools/ft4-json2avro.py" net130.avro &&
  ft-series -F csv --no-header -l dustdemo.130net net130.avro >out &&
  sql_series 1 "src_ip BETWEEN 2181038080 AND 2197815295" dustdemo.130net >exp &&
  test $(wc -l <exp) -eq 12 && test_cmp exp out
'
if command -v ft-filter >/dev/null 2>&1; then
  test_expect_success 'seed question 2 as a pipe: ft-filter | ft-series' '
    ft-filter "src_ip in 130.0.0.0/8" t.avro | ft-series -l dustdemo.130net >out &&
    ft-series -l dustdemo.130net net130.avro >exp && test_cmp exp out
  '
else
  echo "ok - # skip seed question 2 as a pipe (ft-filter not built)"
fi
test_expect_success '-e: seed question 2 in one process (sqlite3)' '
  ft-series -e "src_ip in 130.0.0.0/8" -F csv --no-header -l dustdemo.130net t.avro >out &&
  sql_series 1 "src_ip BETWEEN 2181038080 AND 2197815295" dustdemo.130net >exp &&
  test_cmp exp out &&
  ft-series --expression "src_ip in 130.0.0.0/8" -e "packet_cnt >= 2" -F csv t.avro >got &&
  ft-filter "src_ip in 130.0.0.0/8 and packet_cnt >= 2" t.avro | ft-series -F csv >exp &&
  test_cmp exp got
'
test_expect_code 2 'a bad -e exits 2' 'ft-series -e "src_ip in 130/99" t.avro'
test_expect_code 2 '-e with --merge exits 2' 'ft-series --merge -e "protocol == 6" x.part'
test_expect_success 'graphite lines match sqlite3' '
  ft-series -F graphite -l dustdemo.all --bin 900 t.avro >out &&
  sql_series 900 | awk -F, "{ split(\"pkt_cnt flows src_ips dst_nets asns\", m, \" \");
    for (i = 2; i <= 6; i++) printf \"dustdemo.all.%s %s %s\n\", m[i - 1], \$i, \$1 }" >exp &&
  test_cmp exp out
'
test_expect_success 'svg: well-formed, a panel per metric, or the chosen one' '
  ft-series -F svg -l dustdemo.130net net130.avro >all.svg &&
  ft-series -F svg -m src_ips --bin 900 t.avro >one.svg &&
  $PY - all.svg one.svg <<-\PY
	import sys, xml.etree.ElementTree as ET
	ns = "{http://www.w3.org/2000/svg}"
	for f, panels in zip(sys.argv[1:], (5, 1)):
	    root = ET.parse(f).getroot()
	    assert root.tag == ns + "svg", root.tag
	    lines = root.findall(ns + "polyline")
	    assert len(lines) == panels, (f, len(lines))
	    texts = [t.text for t in root.iter(ns + "text")]
	    assert "time (UTC)" in texts, texts
	    assert "2021-01-31" in texts, texts
	PY
'
if command -v rsvg-convert >/dev/null 2>&1; then
  test_expect_success 'svg renders (rsvg-convert)' '
    rsvg-convert all.svg >all.png && test "$(head -c 4 all.png | od -An -c | tr -d " ")" = "211PNG"
  '
else
  echo "ok - # skip svg renders (rsvg-convert not installed)"
fi
test_expect_success 'stdin, framed stream and gzip give the same' '
  ft-series t.avro >exp && ft-series <t.avro >out && test_cmp exp out &&
  ft-cat t.avro | ft-series >out && test_cmp exp out &&
  gzip -c t.avro >t.avro.gz && ft-series t.avro.gz >out && test_cmp exp out
'
test_expect_code 1 'a full disk is an error' 'ft-series t.avro >/dev/full'
test_expect_success 'values that are not 32-bit are refused' '
  echo "{\"prefix2asn\":4294967296}" | $PY "$FT_TOP/tests/tools/ft4-json2avro.py" big.avro &&
  test_must_fail ft-series big.avro 2>err &&
  test_grep "big.avro: record 1: prefix2asn 4294967296 is not a 32-bit value" err
'

# Partial results: 4 shards of the same hour merged == one run.
for bin in "" "--bin 900"; do
  test_expect_success "4 partials merged = one run (${bin:-per interval})" '
    for s in 1 2 3 4; do ft-series '"$bin"' --partial shard$s.avro >p$s.part || exit 1; done &&
    for f in text csv json svg; do
      ft-series '"$bin"' -l x.y -F $f t.avro >one.$f &&
      ft-series --merge -l x.y -F $f p1.part p2.part p3.part p4.part >merged.$f &&
      cmp one.$f merged.$f || exit 1
    done &&
    ft-series '"$bin"' --partial t.avro >all.part &&
    ft-series --merge --partial p4.part p3.part p2.part p1.part >merged.part &&
    cmp all.part merged.part &&
    cat p1.part p2.part | ft-series --merge -F graphite -l a.b - p3.part p4.part >out &&
    ft-series '"$bin"' -F graphite -l a.b t.avro >exp && test_cmp exp out
  '
done
test_expect_success 'a partial is not written to a terminal' '
  run_in_pty out ft-series --partial hand.avro; test $? = 1 &&
  test_grep "will not write a binary partial result to a terminal" out
'
test_expect_success 'a partial of another bin is refused' '
  ft-series --partial shard1.avro >time.part &&
  test_must_fail ft-series --merge p1.part time.part 2>err &&
  test_grep "time.part: cannot merge a partial of .ft-series v1 bin=time. into .ft-series v1 bin=900." err &&
  test_must_fail ft-series --merge --bin 3600 p1.part 2>err && test_grep "cannot merge" err &&
  test_must_fail ft-series --merge shard1.avro 2>err &&
  test_grep "not a partial result" err
'
test_done
