#!/bin/sh
# ft-topn: ranking by every weight, ties, the Other row, composite keys,
# formats, partial results and --merge; checked against sqlite3 running
# the same queries over `ft-cat -F csv --ip-format int`.
. "$(dirname "$0")/lib.sh"

# Handcrafted: three countries tie at 3 flows; one source sends most packets.
cat >hand.json <<'JSON'
{"time":1613239200,"src_ip":16909060,"dst_net":738197504,"dst_port":23,"protocol":6,"packet_cnt":5,"uniq_dst_ips":5,"common_ttls":[240],"netacq_country":"RU"}
{"time":1613239200,"src_ip":16909061,"dst_net":738197504,"dst_port":23,"protocol":6,"packet_cnt":1,"uniq_dst_ips":1,"common_ttls":[40,240],"netacq_country":"RU"}
{"time":1613239200,"src_ip":16909062,"dst_net":738263040,"dst_port":80,"protocol":6,"packet_cnt":2,"uniq_dst_ips":2,"netacq_country":"RU"}
{"time":1613239200,"src_ip":16909063,"dst_net":738263040,"dst_port":80,"protocol":6,"packet_cnt":4,"uniq_dst_ips":1,"common_ttls":[40],"netacq_country":"CN"}
{"time":1613239500,"src_ip":16909060,"dst_net":738263040,"dst_port":22,"protocol":6,"packet_cnt":2,"uniq_dst_ips":2,"netacq_country":"CN"}
{"time":1613239500,"src_ip":16909064,"dst_net":738328576,"dst_port":2048,"protocol":1,"packet_cnt":2,"uniq_dst_ips":4,"common_ttls":[40],"netacq_country":"CN"}
{"time":1613239500,"src_ip":3239906926,"dst_net":738197504,"dst_port":5060,"protocol":17,"packet_cnt":64942,"uniq_dst_ips":64942,"common_ttls":[49],"netacq_country":"US"}
{"time":1613239500,"src_ip":3239906927,"dst_net":738197504,"dst_port":5060,"protocol":17,"packet_cnt":1,"uniq_dst_ips":1,"netacq_country":"US"}
{"time":1613239800,"src_ip":3239906928,"dst_net":738197504,"dst_port":53,"protocol":17,"packet_cnt":1,"uniq_dst_ips":1,"netacq_country":"US"}
{"time":1613239800,"src_ip":2197815296,"dst_net":738197504,"dst_port":443,"protocol":6,"packet_cnt":3,"uniq_dst_ips":3,"netacq_country":"NL"}
JSON
$PY "$FT_TOP/tests/tools/ft4-json2avro.py" hand.avro <hand.json || exit 1
: | $PY "$FT_TOP/tests/tools/ft4-json2avro.py" empty.avro || exit 1

# Generated traffic, tagged: a country per /8, an AS per /10 (some none).
awk 'BEGIN { split("RU SC US NL CY CN BR DE IN KR TH RU", c, " ");
  for (i = 1; i < 224; i++) printf "%d.0.0.0,%d.255.255.255,%s\n", i, i, c[i % 12 + 1] }' >cc.csv
awk 'BEGIN { for (i = 1; i < 224; i++) for (j = 0; j < 4; j++) if ((i + j) % 5)
  printf "%d.%d.0.0,%d.%d.255.255,%d\n", i, 64 * j, i, 64 * j + 63, 64500 + (i * 4 + j) % 97 }' >as.csv
gen() { # SEED OUT.avro
  telescope-gen --seed "$1" --packets 50000 -w "$2.pcap" &&
    ft-aggregate --quiet -r "$2.pcap" --netacq cc.csv --pfx2as as.csv -F avro >"$2"
}
for s in 1 2 3 4; do gen $s shard$s.avro || exit 1; done
ft-cat shard1.avro shard2.avro shard3.avro shard4.avro | ft-cat -w t.avro || exit 1

# sqlite3 databases of the same records; the columns from --help-fields
# (numbers INTEGER, strings and arrays TEXT).
ft-cat --help-fields | awk '{ printf "%s%s %s", (NR > 1 ? ", " : "CREATE TABLE ft("), $1,
  ($2 ~ /^(long|int)$/ ? "INTEGER" : "TEXT") } END { print ");" }' >schema.sql || exit 1
mkdb() { # AVRO DB
  ft-cat -F csv --ip-format int "$1" >"$2.csv" && sqlite3 "$2" <schema.sql &&
    sqlite3 "$2" ".import --csv --skip 1 $2.csv ft"
}
mkdb t.avro t.db || exit 1
mkdb hand.avro hand.db || exit 1

# The top-N query in SQL: rank by weight descending, then the key
# ascending; pct of the total of all records; an Other row when keys are
# left past rank N.
sql_topn() { # DB KEYS WEIGHT N [WHERE]
  other="'Other'$(echo "$2" | cut -s -d, -f2- | sed 's/[^,][^,]*/NULL/g; s/^/,/; s/^,$//')"
  sqlite3 -csv "$1" "
    WITH g AS (SELECT $2, SUM($3) AS c FROM ft WHERE ${5:-1} GROUP BY $2),
         t AS (SELECT SUM(c) AS tot, COUNT(*) AS nk FROM g),
         r AS (SELECT row_number() OVER (ORDER BY c DESC, $2) AS rk, $2, c FROM g),
         top AS (SELECT * FROM r WHERE rk <= $4)
    SELECT rk, $2, c, c * 1.0 / tot, SUM(c) OVER (ORDER BY rk) * 1.0 / tot FROM top, t
    UNION ALL
    SELECT $4 + 1, $other, tot - (SELECT SUM(c) FROM top),
           (tot - (SELECT SUM(c) FROM top)) * 1.0 / tot, 1.0 FROM t WHERE nk > $4
    ORDER BY 1"
}
# Same rows: every column equal, the two fractions within 1e-12.
same_rows() { # FT_TOPN_CSV SQL_CSV
  $PY - "$1" "$2" <<-\PY
	import csv, sys
	got = list(csv.reader(open(sys.argv[1])))[1:]
	want = list(csv.reader(open(sys.argv[2])))
	assert len(got) == len(want), (len(got), len(want), got[-3:], want[-3:])
	assert len(got) > 0
	for g, w in zip(got, want):
	    assert len(g) == len(w), (g, w)
	    assert g[:-2] == w[:-2], (g, w)
	    for a, b in zip(g[-2:], w[-2:]):
	        assert abs(float(a) - float(b)) < 1e-12, (g, w)
	PY
}
# ft-topn OPTIONS... -- SQL_ARGS...: compares ft-topn's CSV with sql_topn.
check() {
  opts=""
  while [ "$1" != "--" ]; do opts="$opts $1"; shift; done
  shift
  ft-topn -F csv --ip-format int $opts >got.csv && sql_topn "$@" >want.csv &&
    same_rows got.csv want.csv
}

test_expect_success '--help prints usage to stdout' '
  ft-topn --help >out && test_grep "^Usage: ft-topn" out
'
test_expect_success '--version' '
  ft-topn --version >out && test_grep "^ft-topn (fttools) [0-9]" out
'
test_expect_code 2 'unknown option exits 2' 'ft-topn --bogus -k src_ip hand.avro'
test_expect_success 'unknown option says how to get help' '
  test_must_fail ft-topn --bogus 2>err && test_grep "Try .ft-topn --help." err
'
test_expect_code 2 'no key is a usage error' 'ft-topn hand.avro'
test_expect_success 'no key: the message says what to give' '
  test_must_fail ft-topn hand.avro 2>err && test_grep "no key: give -k" err
'
test_expect_success 'unknown key field is refused with a suggestion' '
  test_must_fail ft-topn -k netacq_cuntry hand.avro 2>err &&
  test_grep "unknown field .netacq_cuntry. (did you mean .netacq_country.?)" err
'
test_expect_code 2 'bad --by exits 2' 'ft-topn -k src_ip --by bytes hand.avro'
test_expect_code 2 'bad --format exits 2' 'ft-topn -k src_ip -F avro hand.avro'
test_expect_code 2 'bad -n exits 2' 'ft-topn -k src_ip -n -1 hand.avro'
test_expect_code 2 'a key field twice exits 2' 'ft-topn -k src_ip,src_ip hand.avro'
test_expect_success '--help-fields lists every field' '
  ft-topn --help-fields >out && test $(wc -l <out) -eq 28
'

test_expect_success 'text table: ties broken by the value, Other row' '
  ft-topn -k netacq_country -n 2 hand.avro >out &&
  cat >exp <<-\EOF &&
	rank  name   flows     pct  cumpct
	   1  CN         3  0.3000  0.3000
	   2  RU         3  0.3000  0.6000
	   3  Other      4  0.4000  1.0000
	EOF
  test_cmp exp out
'
test_expect_success 'json lines: the seed talk'"'"'s fields, fractions in full' '
  ft-topn -k netacq_country -n 3 -F json hand.avro >out &&
  cat >exp <<-\EOF &&
	{"rank":1,"name":"CN","flows":3,"pct":0.3,"cumpct":0.3}
	{"rank":2,"name":"RU","flows":3,"pct":0.3,"cumpct":0.6}
	{"rank":3,"name":"US","flows":3,"pct":0.3,"cumpct":0.9}
	{"rank":4,"name":"Other","flows":1,"pct":0.1,"cumpct":1}
	EOF
  test_cmp exp out
'
test_expect_success 'composite key: a column per field, dotted addresses' '
  ft-topn -k src_ip,dst_port -n 2 --by packets hand.avro >out &&
  cat >exp <<-\EOF &&
	rank  src_ip         dst_port  packets     pct  cumpct
	   1  193.29.14.110      5060    64942  0.9996  0.9996
	   2  1.2.3.4              23        5  0.0000  0.9997
	   3  Other                         16  0.0002  1.0000
	EOF
  test_cmp exp out
'
test_expect_success 'array key, csv, --no-header, --no-other' '
  ft-topn -k common_ttls -F csv --no-header --no-other -n 2 hand.avro >out &&
  printf "%s\n" "1,[],5,0.5,0.5" "2,[40],2,0.2,0.7" >exp && test_cmp exp out
'
test_expect_success 'keys of time, iso format; -n 0 keeps every key' '
  ft-topn -k time --time-format iso -n 0 -F csv hand.avro >out &&
  cat >exp <<-\EOF &&
	rank,name,flows,pct,cumpct
	1,2021-02-13T18:00:00Z,4,0.4,0.4
	2,2021-02-13T18:05:00Z,4,0.4,0.8
	3,2021-02-13T18:10:00Z,2,0.2,1
	EOF
  test_cmp exp out
'
test_expect_success 'no Other row when nothing is left past rank N' '
  ft-topn -k netacq_country -n 4 -F csv hand.avro >out &&
  test $(wc -l <out) -eq 5 && ! grep Other out
'
test_expect_success 'empty input: text and csv give the header, json nothing' '
  ft-topn -k src_ip empty.avro >out && echo "rank  name  flows  pct  cumpct" >exp &&
  test_cmp exp out &&
  ft-topn -k src_ip,protocol -F csv empty.avro >out &&
  echo "rank,src_ip,protocol,flows,pct,cumpct" >exp && test_cmp exp out &&
  ft-topn -k src_ip -F json empty.avro >out && test ! -s out &&
  sql_topn hand.db src_ip 1 10 0 >out && test ! -s out
'

# Against sqlite3: every weight, composite keys, ties.
test_expect_success 'hand data, every weight, against sqlite3' '
  check -k netacq_country -n 2 hand.avro -- hand.db netacq_country 1 2 &&
  check -k dst_net --by packets -n 2 hand.avro -- hand.db dst_net packet_cnt 2 &&
  check -k src_ip,dst_port --by dst_ips -n 4 hand.avro -- hand.db src_ip,dst_port uniq_dst_ips 4
'
test_expect_success 'top 5 countries by flows, packets, dst_ips (sqlite3)' '
  check -k netacq_country -n 5 t.avro -- t.db netacq_country 1 5 &&
  check -k netacq_country -n 5 --by packets t.avro -- t.db netacq_country packet_cnt 5 &&
  check -k netacq_country -n 5 --by dst_ips t.avro -- t.db netacq_country uniq_dst_ips 5
'
test_expect_success 'top sources (many ties) by flows and packets (sqlite3)' '
  check -k src_ip -n 50 t.avro -- t.db src_ip 1 50 &&
  check -k src_ip -n 20 --by packets t.avro -- t.db src_ip packet_cnt 20
'
test_expect_success 'composite keys (sqlite3)' '
  check -k src_ip,dst_port,protocol -n 15 --by dst_ips t.avro -- \
    t.db src_ip,dst_port,protocol uniq_dst_ips 15 &&
  check -k netacq_country,protocol -n 12 --by packets t.avro -- \
    t.db netacq_country,protocol packet_cnt 12 &&
  check -k prefix2asn,dst_net -n 30 t.avro -- t.db prefix2asn,dst_net 1 30
'
test_expect_success 'every key, no Other row (sqlite3)' '
  check -k dst_port -n 0 --by packets t.avro -- t.db dst_port packet_cnt 1000000000 &&
  test $(wc -l <got.csv) -gt 100
'
test_expect_success 'seed question 1: top 5 countries of flows with a TTL >= 200 (sqlite3)' '
  ft-cat -F json --ip-format int t.avro | $PY -c "
import json, sys
for l in sys.stdin:
    if any(200 <= v <= 255 for v in json.loads(l)[\"common_ttls\"]): sys.stdout.write(l)
" | $PY "$FT_TOP/tests/tools/ft4-json2avro.py" ttl.avro &&
  check -k netacq_country -n 5 ttl.avro -- t.db netacq_country 1 5 \
    "EXISTS (SELECT 1 FROM json_each(common_ttls) WHERE value BETWEEN 200 AND 255)" &&
  ft-topn -k netacq_country -n 5 ttl.avro >out &&
  test $(wc -l <out) -eq 7 && test_grep "^rank  name  *flows  *pct  cumpct$" out &&
  test_grep "^   6  Other  *[0-9]*  0\.[0-9]\{4\}  1\.0000$" out
'
if command -v ft-filter >/dev/null 2>&1; then
  test_expect_success 'seed question 1 as a pipe: ft-filter | ft-topn' '
    ft-filter "common_ttls in 200..255" t.avro | ft-topn -k netacq_country -n 5 >out &&
    ft-topn -k netacq_country -n 5 ttl.avro >exp && test_cmp exp out
  '
else
  echo "ok - # skip seed question 1 as a pipe (ft-filter not built)"
fi

test_expect_success '-e counts only matching records (sqlite3)' '
  ft-topn -F csv -e "protocol == tcp" -k dst_port -n 8 t.avro >got.csv &&
  sql_topn t.db dst_port 1 8 "protocol = 6" >want.csv && same_rows got.csv want.csv &&
  ft-topn -F csv --ip-format int -e "protocol == tcp" -e "packet_cnt > 1" --by packets \
    -k src_ip t.avro >got.csv &&
  sql_topn t.db src_ip packet_cnt 10 "protocol = 6 AND packet_cnt > 1" >want.csv &&
  same_rows got.csv want.csv
'
test_expect_success '-e gives what ft-filter | ft-topn gives, also for seed question 1' '
  ft-topn -e "common_ttls in 200..255" -k netacq_country -n 5 t.avro >got &&
  ft-topn -k netacq_country -n 5 ttl.avro >exp && test_cmp exp got &&
  ft-topn --expression "protocol == udp or dst_port in {22,23}" -k dst_port -F json t.avro >got &&
  ft-filter "protocol == udp or dst_port in {22,23}" t.avro | ft-topn -k dst_port -F json >exp &&
  test_cmp exp got
'
test_expect_success '-e with --partial: merged shards = one run' '
  for s in 1 2 3 4; do
    ft-topn -e "protocol == tcp" -k dst_port --partial shard$s.avro >e$s.part || exit 1
  done &&
  ft-topn --merge e1.part e2.part e3.part e4.part >got &&
  ft-topn -e "protocol == tcp" -k dst_port t.avro >exp && test_cmp exp got
'
test_expect_success '-e matching nothing: the empty table' '
  ft-topn -e "dst_port == 1 and dst_port == 2" -k dst_port -F csv t.avro >got &&
  ft-topn -k dst_port -F csv empty.avro >exp && test_cmp exp got
'
test_expect_code 2 'a syntax error in -e exits 2' 'ft-topn -e "protocol ==" -k dst_port t.avro'
test_expect_success 'a syntax error in -e: message and caret, nothing read' '
  test_must_fail ft-topn -e "protocl == 6" -k dst_port no-such-file 2>err &&
  test_grep "^ft-topn: -e: .*protocol" err && test_grep "\^" err &&
  ! test_grep "no-such-file" err
'
test_expect_code 2 '-e with --merge exits 2' 'ft-topn --merge -e "protocol == tcp" p1.part'
test_expect_success 'stdin, framed streams, gzip and several files give the same' '
  ft-topn -k dst_port t.avro >exp &&
  ft-topn -k dst_port <t.avro >out && test_cmp exp out &&
  ft-cat t.avro | ft-topn -k dst_port >out && test_cmp exp out &&
  gzip -c t.avro >t.avro.gz && ft-topn -k dst_port t.avro.gz >out && test_cmp exp out &&
  ft-topn -k dst_port shard1.avro shard2.avro - shard4.avro <shard3.avro >out &&
  test_cmp exp out
'
test_expect_success '-w writes the file when complete' '
  ft-topn -k dst_port -w top.txt t.avro && ft-topn -k dst_port t.avro >exp &&
  test_cmp exp top.txt
'
test_expect_code 1 'a full disk is an error' 'ft-topn -k dst_port t.avro >/dev/full'
test_expect_success 'bad input is named' '
  echo junk >junk.avro && test_must_fail ft-topn -k src_ip junk.avro 2>err &&
  test_grep "junk.avro" err
'
test_expect_success 'a negative packet_cnt is refused with the record number' '
  echo "{\"packet_cnt\":-2}" | $PY "$FT_TOP/tests/tools/ft4-json2avro.py" neg.avro &&
  ft-topn -k src_ip neg.avro >/dev/null &&
  test_must_fail ft-topn -k src_ip --by packets neg.avro 2>err &&
  test_grep "^ft-topn: neg.avro: record 1: negative packet_cnt -2$" err
'

# Partial results: 4 shards merged == one run over all, byte for byte.
for by in flows packets dst_ips; do
  test_expect_success "4 partials merged = one run (--by $by)" '
    for s in 1 2 3 4; do
      ft-topn -k netacq_country,src_ip --by '$by' --partial shard$s.avro >p$s.part || exit 1
    done &&
    for f in text csv json; do
      ft-topn -k netacq_country,src_ip --by '$by' -n 25 -F $f t.avro >one.$f &&
      ft-topn --merge -n 25 -F $f p1.part p2.part p3.part p4.part >merged.$f &&
      cmp one.$f merged.$f || exit 1
    done &&
    ft-topn -k netacq_country,src_ip --by '$by' --partial t.avro >all.part &&
    ft-topn --merge --partial p1.part p2.part p3.part p4.part >merged.part &&
    cmp all.part merged.part
  '
done
test_expect_success 'partials: concatenated on stdin, gzip, nested merges, -k checked' '
  ft-topn -k netacq_country,src_ip --by dst_ips -n 25 t.avro >one.text &&
  cat p1.part p2.part p3.part | gzip -c >p123.part.gz &&
  ft-topn --merge -n 25 p123.part.gz - <p4.part >out && test_cmp one.text out &&
  ft-topn --merge --partial p1.part p2.part >p12.part &&
  ft-topn --merge -k netacq_country,src_ip --by dst_ips -n 25 p12.part p3.part p4.part >out &&
  test_cmp one.text out
'
test_expect_success 'a partial of another key or weight is refused' '
  test_must_fail ft-topn --merge -k src_ip p1.part 2>err &&
  test_grep "p1.part: cannot merge a partial of .ft-topn v2 key=netacq_country,src_ip by=dst_ips. into .ft-topn v2 key=src_ip by=flows." err &&
  ft-topn -k netacq_country,src_ip --partial shard1.avro >flows.part &&
  test_must_fail ft-topn --merge p1.part flows.part 2>err &&
  test_grep "flows.part: cannot merge" err
'
test_expect_success 'the seed talk'"'"'s table, from a partial written as documented' '
  $PY - seed.part <<-\PY &&
	import struct, sys, zlib
	def uint(v):
	    out = b""
	    while v >= 0x80:
	        out += bytes([v & 0x7f | 0x80]); v >>= 7
	    return out + bytes([v])
	# the seed talk top 5; its Other row (26202761) made of smaller countries
	counts = {"RU": 36296567, "SC": 10111708, "US": 5688913, "NL": 5365167,
	          "CY": 3355182, "??": 2202761}
	counts.update({c: 3000000 for c in "DE BR IN KR TH FR JP GB".split()})
	desc = b"ft-topn v1 key=netacq_country by=flows"
	sec = b"\x89FT4P\r\n\x1a" + struct.pack("<HHQ", 1, len(desc), len(counts)) + desc
	for k, c in counts.items():
	    key = k.encode().ljust(15, b"\0") + bytes([len(k)])
	    sec += uint(len(key)) + key + uint(c)
	sec += b"END!" + struct.pack("<I", zlib.crc32(sec))
	open(sys.argv[1], "wb").write(sec)
	PY
  ft-topn --merge -n 5 seed.part >out &&
  cat >exp <<-\EOF &&
	rank  name      flows     pct  cumpct
	   1  RU     36296567  0.4171  0.4171
	   2  SC     10111708  0.1161  0.5333
	   3  US      5688913  0.0653  0.5986
	   4  NL      5365167  0.0616  0.6603
	   5  CY      3355182  0.0385  0.6988
	   6  Other  26202761  0.3011  1.0000
	EOF
  test_cmp exp out
'
test_expect_success 'a partial is not written to a terminal; a table is' '
  run_in_pty out ft-topn -k src_ip --partial hand.avro; test $? = 1 &&
  test_grep "will not write a binary partial result to a terminal" out &&
  run_in_pty out ft-topn -k netacq_country -n 2 hand.avro &&
  ft-topn -k netacq_country -n 2 hand.avro >exp && test_cmp exp out
'
test_expect_success 'damaged partials and record files are refused' '
  cp p1.part bad.part && printf "\377" | dd of=bad.part bs=1 seek=100 conv=notrunc 2>/dev/null &&
  test_must_fail ft-topn --merge bad.part 2>err && test_grep "bad.part: " err &&
  head -c 200 p1.part >cut.part &&
  test_must_fail ft-topn --merge cut.part 2>err && test_grep "cut.part: truncated" err &&
  test_must_fail ft-topn --merge shard1.avro 2>err &&
  test_grep "shard1.avro: FT4 records, not a partial result" err &&
  : >empty.part && test_must_fail ft-topn --merge empty.part 2>err &&
  test_grep "empty.part: empty, not a partial result" err
'
test_done
