#!/bin/sh
# Partial results of ft-topn and ft-series (--partial, --merge): merged in
# any order, all at once or nested, they give the same bytes as one run;
# a cut or damaged partial among good ones is refused with one line
# naming it; ft-topn partials of layout 1 (written by earlier versions)
# merge with those of layout 2.
. "$(dirname "$0")/lib.sh"

awk 'BEGIN { split("RU SC US NL CY CN BR DE IN KR TH RU", c, " ");
  for (i = 1; i < 224; i++) printf "%d.0.0.0,%d.255.255.255,%s\n", i, i, c[i % 12 + 1] }' >cc.csv
awk 'BEGIN { for (i = 1; i < 224; i++) for (j = 0; j < 4; j++) if ((i + j) % 5)
  printf "%d.%d.0.0,%d.%d.255.255,%d\n", i, 64 * j, i, 64 * j + 63, 64500 + (i * 4 + j) % 97 }' >as.csv
# Four shards of the same hour (so that they share keys and bins).
for s in 1 2 3 4; do
  telescope-gen --seed $s --packets 30000 -w s$s.pcap &&
    ft-aggregate --quiet -r s$s.pcap --netacq cc.csv --pfx2as as.csv -F avro >shard$s.avro ||
    { echo "Bail out! no test data"; exit 1; }
done
ft-cat shard1.avro shard2.avro shard3.avro shard4.avro | ft-cat -w t.avro || exit 1

# The queries, each with the options of its partials.
Q1="ft-topn -k netacq_country,dst_port --by packets"
Q2="ft-topn -k src_ip,dst_net,common_ttls --by dst_ips"
Q3="ft-series --bin 900"
Q4="ft-series"

# flip FILE OFFSET: one byte of FILE changed in place
flip() {
  $PY -c 'import sys; p, at = sys.argv[1], int(sys.argv[2]); b = bytearray(open(p, "rb").read()); b[at] ^= 0x24; open(p, "wb").write(b)' "$1" "$2"
}

for q in "$Q1" "$Q2" "$Q3" "$Q4"; do
  tool=${q%% *}
  test_expect_success "$q: partials merged in any order, all at once or nested: the same bytes" '
    for s in 1 2 3 4; do $q --partial shard$s.avro >p$s.part || exit 1; done &&
    $q --partial t.avro >all.part && $q t.avro >one.txt &&
    for o in "p1 p2 p3 p4" "p4 p3 p2 p1" "p2 p4 p1 p3" "p3 p1 p4 p2"; do
      set -- $o &&
      $tool --merge --partial $1.part $2.part $3.part $4.part >m.part &&
      cmp all.part m.part &&
      $tool --merge --partial $4.part $2.part >a.part &&
      $tool --merge --partial $3.part a.part >b.part &&
      $tool --merge --partial b.part $1.part >m.part &&
      cmp all.part m.part &&
      cat $2.part $1.part | $tool --merge - $4.part $3.part >out &&
      test_cmp one.txt out || exit 1
    done
  '
  test_expect_success "$q: a cut or damaged partial among good ones: one line naming it, exit 1" '
    size=$(wc -c <p3.part) &&
    for cut in 8 19 30 $((size / 2)) $((size - 8)) $((size - 1)); do
      head -c $cut p3.part >cut.part &&
      { $tool --merge p1.part cut.part p4.part >out 2>err; test $? = 1; } &&
      test "$(wc -l <err)" = 1 && test_grep "^$tool: cut.part: " err &&
      test ! -s out || exit 1
    done &&
    for at in 25 $((size / 3)) $((size / 2 + 1)) $((size - 6)); do
      cp p3.part bad.part && flip bad.part $at &&
      { $tool --merge --partial p1.part bad.part >out 2>err; test $? = 1; } &&
      test "$(wc -l <err)" = 1 && test_grep "^$tool: bad.part: " err || exit 1
    done
  '
done

test_expect_success 'ft-topn partials are prefix-coded (layout 2): a few bytes a key' '
  $Q1 --partial t.avro >all.part &&
  keys=$($Q1 -n 0 -F csv t.avro | tail -n +2 | wc -l) &&
  test "$keys" -gt 1000 && test "$(wc -c <all.part)" -lt $((keys * 9)) &&
  head -c 100 all.part | tr -c "[:print:]" . | test_grep "ft-topn v2 key=netacq_country,dst_port by=packets"
'
test_expect_success 'ft-topn partials of layout 1 merge with those of layout 2' '
  $PY - v1.part <<-\PY &&
	import struct, sys, subprocess, zlib
	def uint(v):
	    out = b""
	    while v >= 0x80:
	        out += bytes([v & 0x7f | 0x80]); v >>= 7
	    return out + bytes([v])
	# layout 1: whole keys; out of order and one twice (summed)
	counts = [("US", 80, 7), ("RU", 23, 5), ("RU", 22, 1), ("US", 80, 2)]
	desc = b"ft-topn v1 key=netacq_country,dst_port by=packets"
	sec = b"\x89FT4P\r\n\x1a" + struct.pack("<HHQ", 1, len(desc), len(counts)) + desc
	for c, port, n in counts:
	    key = c.encode().ljust(15, b"\0") + bytes([len(c)]) + struct.pack(">I", port ^ 0x80000000)
	    sec += uint(len(key)) + key + uint(n)
	sec += b"END!" + struct.pack("<I", zlib.crc32(sec))
	open(sys.argv[1], "wb").write(sec)
	PY
  $Q1 --partial shard1.avro >p1.part &&
  ft-topn --merge -n 0 -F csv p1.part v1.part >got &&
  $Q1 -n 0 -F csv shard1.avro >one.csv &&
  $PY - one.csv got <<-\PY
	import csv, sys
	one = {(r["netacq_country"], r["dst_port"]): int(r["packets"]) for r in csv.DictReader(open(sys.argv[1]))}
	got = {(r["netacq_country"], r["dst_port"]): int(r["packets"]) for r in csv.DictReader(open(sys.argv[2]))}
	for key, n in ((("US", "80"), 9), (("RU", "23"), 5), (("RU", "22"), 1)):
	    one[key] = one.get(key, 0) + n
	assert one == got, (len(one), len(got))
	PY
'
test_done
