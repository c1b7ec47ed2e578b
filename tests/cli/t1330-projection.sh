#!/bin/sh
# Decode projection: ft-topn, ft-series and ft-filter --count decode only
# the fields they read (reader.h).  Their answers must stay those of the
# full records: checked against sqlite3 over `ft-cat -F csv` for keys over
# plain, tag and array fields, on Avro (deflate, null), framed streams and
# an Avro file with a foreign schema (fields reordered, extra fields), and
# damaged files must be refused with the message ft-cat gives.
. "$(dirname "$0")/lib.sh"

# Generated traffic, tagged: a country per /8, an AS per /10 (some none).
awk 'BEGIN { split("RU SC US NL CY CN BR DE IN KR TH RU", c, " ");
  for (i = 1; i < 224; i++) printf "%d.0.0.0,%d.255.255.255,%s\n", i, i, c[i % 12 + 1] }' >cc.csv
awk 'BEGIN { for (i = 1; i < 224; i++) for (j = 0; j < 4; j++) if ((i + j) % 5)
  printf "%d.%d.0.0,%d.%d.255.255,%d\n", i, 64 * j, i, 64 * j + 63, 64500 + (i * 4 + j) % 97 }' >as.csv
telescope-gen --seed 5 --packets 60000 -w t.pcap &&
  ft-aggregate --quiet -r t.pcap --netacq cc.csv --pfx2as as.csv -F avro >t.avro || exit 1
ft-cat --codec null -w n.avro t.avro && ft-cat -F framed t.avro >t.ft4s || exit 1
ft-cat --help-fields >fields.txt || exit 1

# The same records written by python3-avro with the fields in reverse
# order and three fields FT4 does not have: read through the step
# interpreter, not the canonical decoder.
ft-cat -F json --ip-format int t.avro | $PY -c '
import json, sys
import avro.datafile, avro.io, avro.schema
fields = [(l.split()[0], l.split()[1]) for l in open(sys.argv[2])]
types = {"long": "long", "int": "int", "array<long>": {"type": "array", "items": "long"},
         "string": "string"}
schema = {"type": "record", "name": "reversed", "fields":
          [{"name": "note", "type": "string"}, {"name": "ratio", "type": "double"}] +
          [{"name": n, "type": types[t]} for n, t in reversed(fields)] +
          [{"name": "more", "type": {"type": "array", "items": "string"}}]}
w = avro.datafile.DataFileWriter(open(sys.argv[1], "wb"), avro.io.DatumWriter(),
                                 avro.schema.parse(json.dumps(schema)), codec="deflate")
for i, line in enumerate(sys.stdin):
    r = json.loads(line)
    r.update(note="x" * (i % 7), ratio=i / 3.0, more=["a"] * (i % 3))
    w.append(r)
w.close()
' f.avro fields.txt 2>err || { cat err; exit 1; }
INPUTS="t.avro n.avro t.ft4s f.avro"

# sqlite3 database of the same records; the columns from --help-fields.
# SQL strings: RU is 'RU', UNKNOWN is '??'.
RU="'RU'" UNKNOWN="'??'"
awk '{ printf "%s%s %s", (NR > 1 ? ", " : "CREATE TABLE ft("), $1,
  ($2 ~ /^(long|int)$/ ? "INTEGER" : "TEXT") } END { print ");" }' fields.txt >schema.sql &&
ft-cat -F csv --ip-format int t.avro >t.csv && sqlite3 t.db <schema.sql &&
  sqlite3 t.db ".import --csv --skip 1 t.csv ft" || exit 1

# Sorted (key..., weight) rows of `ft-topn -n 0` and of SQL's GROUP BY,
# compared as CSV (arrays are keys too, and their ties rank by bytes).
same_groups() { # FT_TOPN_CSV SQL_CSV
  $PY - "$1" "$2" <<-\PY
	import csv, sys
	got = sorted(tuple(r[1:-2]) for r in list(csv.reader(open(sys.argv[1])))[1:])
	want = sorted(tuple(r) for r in csv.reader(open(sys.argv[2])))
	assert len(want) > 0
	assert got == want, (len(got), len(want), [x for x in got if x not in want][:3],
	                     [x for x in want if x not in got][:3])
	PY
}
groups() { # FILE KEYS WEIGHT_SQL BY WHERE_SQL EXPR
  ft-topn -F csv --ip-format int -n 0 -k "$2" --by "$4" -e "$6" "$1" >got.csv &&
    sqlite3 -csv t.db "SELECT $2, SUM($3) FROM ft WHERE $5 GROUP BY $2" >want.csv &&
    same_groups got.csv want.csv
}

test_expect_success 'the foreign file holds the same records' '
  ft-cat -F csv f.avro >f.csv && ft-cat -F csv t.avro >exp && test_cmp exp f.csv &&
  test $(ft-cat --count t.avro) -gt 20000
'
for f in $INPUTS; do
  test_expect_success "ft-topn, plain fields: top TCP ports ($f, sqlite3)" '
    groups '$f' dst_port 1 flows "protocol = 6" "protocol == tcp" &&
    groups '$f' src_ip,dst_net packet_cnt packets "dst_port = 23" "dst_port == 23" &&
    groups '$f' prefix2asn uniq_dst_ips dst_ips "uniq_dst_ips > 1" "uniq_dst_ips > 1"
  '
  test_expect_success "ft-topn, tag and array fields ($f, sqlite3)" '
    groups '$f' netacq_country 1 flows \
      "EXISTS (SELECT 1 FROM json_each(common_ttls) WHERE value BETWEEN 200 AND 255)" \
      "common_ttls in 200..255" &&
    groups '$f' common_ttls,netacq_country packet_cnt packets \
      "netacq_country != $RU" "netacq_country != \"RU\"" &&
    groups '$f' common_srcports,maxmind_country 1 flows "protocol = 17" "protocol == udp" &&
    groups '$f' common_tcpflags,first_tcp_rwin uniq_dst_ips dst_ips \
      "prefix2asn != 0" "prefix2asn != 0"
  '
  test_expect_success "ft-topn --from/--to reads time though the key does not ($f, sqlite3)" '
    from=$(sqlite3 t.db "SELECT MIN(time) + 300 FROM ft") &&
    to=$(sqlite3 t.db "SELECT MIN(time) + 900 FROM ft") &&
    ft-topn -F csv -n 0 -k dst_port --from $from --to $to '$f' >got.csv &&
    sqlite3 -csv t.db "SELECT dst_port, COUNT(*) FROM ft
                       WHERE time BETWEEN $from AND $to GROUP BY dst_port" >want.csv &&
    same_groups got.csv want.csv &&
    ft-filter --count --from $from --to $to "protocol == udp" '$f' >got &&
    sqlite3 t.db "SELECT COUNT(*) FROM ft WHERE time BETWEEN $from AND $to
                  AND protocol = 17" >want && test_cmp want got
  '
  test_expect_success "ft-topn --partial, merged: the same ($f)" '
    ft-topn -e "common_ttls in 200..255" -k netacq_country --partial '$f' >p.part &&
    ft-topn --merge p.part >got &&
    ft-topn -e "common_ttls in 200..255" -k netacq_country t.avro >exp && test_cmp exp got
  '
  test_expect_success "ft-series and -e ($f, sqlite3)" '
    sql="SELECT time, SUM(packet_cnt), COUNT(*), COUNT(DISTINCT src_ip),
         COUNT(DISTINCT dst_net), COUNT(DISTINCT NULLIF(prefix2asn, 0)) FROM ft" &&
    ft-series -F csv --no-header '$f' >got &&
    sqlite3 -csv t.db "$sql GROUP BY time ORDER BY time" >want && test_cmp want got &&
    ft-series -F csv --no-header -e "netacq_country == \"RU\"" \
      -e "common_ttls in 200..255" '$f' >got &&
    sqlite3 -csv t.db "$sql WHERE netacq_country = $RU AND EXISTS (SELECT 1 FROM
      json_each(common_ttls) WHERE value BETWEEN 200 AND 255)
      GROUP BY time ORDER BY time" >want && test_cmp want got &&
    ft-series -F csv --no-header --bin 900 -m asns -e "src_ip in 100.0.0.0/6" '$f' >got &&
    sqlite3 -csv t.db "SELECT (time / 900) * 900 AS t, COUNT(DISTINCT NULLIF(prefix2asn, 0))
      FROM ft WHERE src_ip BETWEEN 1677721600 AND 1744830463 GROUP BY t ORDER BY t" >want &&
    test_cmp want got
  '
  test_expect_success "ft-filter --count and --intersect ($f, sqlite3)" '
    ft-filter --count "common_ttls in 200..255 and maxmind_country == \"??\"" '$f' >got &&
    sqlite3 t.db "SELECT COUNT(*) FROM ft WHERE maxmind_country = $UNKNOWN AND EXISTS
      (SELECT 1 FROM json_each(common_ttls) WHERE value BETWEEN 200 AND 255)" >want &&
    test_cmp want got &&
    ft-filter --intersect -F csv --no-header -e "netacq_country == \"RU\"" \
      -e "uniq_dst_ips >= 2" '$f' >got &&
    sqlite3 -csv t.db "SELECT SUM(netacq_country = $RU),
      SUM(netacq_country = $RU AND uniq_dst_ips >= 2) FROM ft" >want &&
    test_cmp want got
  '
done
test_expect_success 'ft-filter --count -w and --fail still write whole records' '
  ft-filter --count -w c.avro "protocol == tcp" n.avro >got &&
  sqlite3 t.db "SELECT COUNT(*) FROM ft WHERE protocol = 6" >want && test_cmp want got &&
  ft-filter "protocol == tcp" t.avro | ft-cat -F csv >exp && ft-cat -F csv c.avro >got &&
  test_cmp exp got &&
  ft-filter --count --fail nottcp.avro "protocol == tcp" t.avro >/dev/null &&
  ft-filter "protocol != tcp" t.avro | ft-cat -F csv >exp &&
  ft-cat -F csv nottcp.avro >got && test_cmp exp got
'

# Damage: bytes changed in the records of the null-codec file (no
# checksum there): each tool must fail as ft-cat does (same message,
# same exit status), or, when the records still decode, answer as it
# does on ft-cat's re-encoding of them.
test_expect_success 'ft-cat --count and --from/--to: the counts of a full read' '
  for f in $INPUTS; do
    test "$(ft-cat --count $f)" = "$(ft-cat -F csv --no-header $f | wc -l)" &&
    t=$(ft-cat -F csv --no-header --fields time $f | sort -n | sed -n 2p) &&
    test "$(ft-cat --count --from $t $f)" = \
         "$(ft-cat -F csv --no-header --fields time $f | awk -v t=$t "\$1 >= t" | wc -l)" || return 1
  done
'
test_expect_success 'damaged files: the same errors as a full read' '
  ft-cat -n 3000 --codec null -w small.avro n.avro &&
  size=$(wc -c <small.avro) && failed=0 &&
  for seed in $(seq 1 40); do
    $PY - small.avro d.avro $seed $size <<-\PY || exit 1
	import random, sys
	src, dst, seed, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
	b = bytearray(open(src, "rb").read())
	rnd = random.Random(seed)
	for _ in range(rnd.randint(1, 3)):
	    at = rnd.randrange(size // 4, size - 20)
	    b[at] = rnd.choice([rnd.randrange(256), b[at] ^ 0x80, 0xff, 0x01, 0x7f])
	open(dst, "wb").write(b)
	PY
    ft-cat -F framed d.avro >d.ft4s 2>cat.err; rc=$?
    ft-topn -k dst_port -e "protocol == tcp" d.avro >topn.out 2>topn.err; rt=$?
    ft-filter --count "netacq_country == \"RU\"" d.avro >count.out 2>count.err; rf=$?
    ft-cat --count d.avro >n.out 2>n.err; rn=$?
    if [ $rc -ne 0 ]; then
      failed=$((failed + 1)) &&
      sed "s/^ft-cat: //" cat.err >exp &&
      sed "s/^ft-topn: //" topn.err >got && test_cmp exp got &&
      sed "s/^ft-filter: //" count.err >got && test_cmp exp got &&
      test_cmp cat.err n.err &&
      test $rt -eq $rc && test $rf -eq $rc && test $rn -eq $rc || exit 1
    else
      test $rt -eq 0 && test $rf -eq 0 &&
      ft-topn -k dst_port -e "protocol == tcp" d.ft4s >exp && test_cmp exp topn.out &&
      ft-filter "netacq_country == \"RU\"" d.ft4s | ft-cat --count >exp &&
      test_cmp exp count.out &&
      test "$(cat n.out)" = "$(ft-cat -F csv --no-header d.ft4s | wc -l)" || exit 1
    fi
  done &&
  echo "$failed of 40 damaged files refused" && test $failed -gt 5 && test $failed -lt 40
'

test_done
