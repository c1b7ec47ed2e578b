#!/bin/sh
# ft-aggregate --maxmind/--netacq/--pfx2as: tag fields of the records.
. "$(dirname "$0")/lib.sh"

mkmmdb() { perl "$FT_TOP/tests/tools/mkmmdb.pl" "$@"; }
tags() { # ft-aggregate options...: the tag fields of each record, as JSON
  ft-aggregate --quiet -r src.pcap "$@" >out.fr && ft-cat -F json out.fr >got
}

# One record per source; 203.0.113.9 is in no database.
T=1613239200
cat >src.txt <<SRC
line($T, eth(ip4("192.0.2.1", "44.1.2.3", tcp(5000, 23, "S"))))
line($T+1, eth(ip4("192.0.2.200", "44.1.2.3", udp(5000, 53))))
line($T+2, eth(ip4("198.51.100.7", "44.1.2.3", icmp(8, 0))))
line($T+3, eth(ip4("203.0.113.9", "44.1.2.3", tcp(5000, 80, "S"))))
SRC
mkpcap 1 src.pcap <src.txt || exit 1

# GeoIP2 layout (IPv6 tree, as the real files): 198.51.100.0/24 has a
# country but no continent, so the continent comes from the table.
mkmmdb -6 geoip2.mmdb 192.0.2.0/24=FR/EU \
  '198.51.100.0/24={"country":{"iso_code":"TH"}}' || exit 1
# Flat layout (country_code only), gzip-compressed.
mkmmdb flat.mmdb 192.0.2.0/25=RU 198.51.100.0/24=BR && gzip -c flat.mmdb >flat.mmdb.gz || exit 1
# Range CSV, dotted and numeric (198.51.100.0-198.51.100.255).
cat >cc.csv <<\EOF
ip_range_start,ip_range_end,country_code
192.0.2.0,192.0.2.255,US
3325256704,3325256959,AU
EOF
# RouteViews prefix2as: multi-origin, AS set, a comment, nested prefixes.
printf '# prefix2as\n192.0.2.0\t24\t64500_64501\n192.0.2.128\t25\t64510,64511\n198.51.0.0\t16\t64520\n' >p2a.txt
# @ip-location-db/asn ranges, gzip-compressed.
printf '192.0.2.0,192.0.2.127,64530,"Example, Inc."\n3325231104,3325296639,64540,Example Net\n' |
  gzip -c >asn.csv.gz

test_expect_success '--help lists the tagging options' '
  ft-aggregate --help >out && test_grep -- "--maxmind FILE" out &&
  test_grep -- "--netacq FILE" out && test_grep -- "--pfx2as FILE" out
'
test_expect_success 'without tag files: "??" and 0' '
  tags && cat >want <<-\EOF &&
	{"src_ip": "192.0.2.1", "maxmind_continent": "??", "maxmind_country": "??", "netacq_continent": "??", "netacq_country": "??", "prefix2asn": 0}
	{"src_ip": "192.0.2.200", "maxmind_continent": "??", "maxmind_country": "??", "netacq_continent": "??", "netacq_country": "??", "prefix2asn": 0}
	{"src_ip": "198.51.100.7", "maxmind_continent": "??", "maxmind_country": "??", "netacq_continent": "??", "netacq_country": "??", "prefix2asn": 0}
	{"src_ip": "203.0.113.9", "maxmind_continent": "??", "maxmind_country": "??", "netacq_continent": "??", "netacq_country": "??", "prefix2asn": 0}
	EOF
  check_records want got
'
test_expect_success '--maxmind: a GeoIP2-layout MaxMind DB' '
  tags --maxmind geoip2.mmdb && cat >want <<-\EOF &&
	{"src_ip": "192.0.2.1", "maxmind_continent": "EU", "maxmind_country": "FR", "netacq_continent": "??", "netacq_country": "??", "prefix2asn": 0}
	{"src_ip": "192.0.2.200", "maxmind_continent": "EU", "maxmind_country": "FR", "netacq_continent": "??", "netacq_country": "??", "prefix2asn": 0}
	{"src_ip": "198.51.100.7", "maxmind_continent": "AS", "maxmind_country": "TH", "netacq_continent": "??", "netacq_country": "??", "prefix2asn": 0}
	{"src_ip": "203.0.113.9", "maxmind_continent": "??", "maxmind_country": "??", "netacq_continent": "??", "netacq_country": "??", "prefix2asn": 0}
	EOF
  check_records want got
'
test_expect_success '--netacq: a gzip-compressed flat MaxMind DB, no temporary left' '
  mkdir tmp && TMPDIR=$PWD/tmp tags --netacq flat.mmdb.gz && cat >want <<-\EOF &&
	{"src_ip": "192.0.2.1", "maxmind_country": "??", "netacq_continent": "EU", "netacq_country": "RU", "prefix2asn": 0}
	{"src_ip": "192.0.2.200", "maxmind_country": "??", "netacq_continent": "??", "netacq_country": "??"}
	{"src_ip": "198.51.100.7", "maxmind_country": "??", "netacq_continent": "SA", "netacq_country": "BR"}
	{"src_ip": "203.0.113.9", "maxmind_country": "??", "netacq_continent": "??", "netacq_country": "??"}
	EOF
  check_records want got && test -z "$(ls tmp)"
'
test_expect_success '--maxmind: a CSV of ranges, dotted and numeric' '
  tags --maxmind cc.csv && cat >want <<-\EOF &&
	{"src_ip": "192.0.2.1", "maxmind_continent": "NA", "maxmind_country": "US", "netacq_country": "??"}
	{"src_ip": "192.0.2.200", "maxmind_continent": "NA", "maxmind_country": "US"}
	{"src_ip": "198.51.100.7", "maxmind_continent": "OC", "maxmind_country": "AU"}
	{"src_ip": "203.0.113.9", "maxmind_continent": "??", "maxmind_country": "??"}
	EOF
  check_records want got
'
test_expect_success '--pfx2as: RouteViews prefix2as, longest prefix wins' '
  tags --pfx2as p2a.txt && cat >want <<-\EOF &&
	{"src_ip": "192.0.2.1", "prefix2asn": 64500, "maxmind_country": "??"}
	{"src_ip": "192.0.2.200", "prefix2asn": 64510}
	{"src_ip": "198.51.100.7", "prefix2asn": 64520}
	{"src_ip": "203.0.113.9", "prefix2asn": 0}
	EOF
  check_records want got
'
test_expect_success '--pfx2as: gzip-compressed start,end,asn,org ranges' '
  tags --pfx2as asn.csv.gz && cat >want <<-\EOF &&
	{"src_ip": "192.0.2.1", "prefix2asn": 64530}
	{"src_ip": "192.0.2.200", "prefix2asn": 0}
	{"src_ip": "198.51.100.7", "prefix2asn": 64540}
	{"src_ip": "203.0.113.9", "prefix2asn": 0}
	EOF
  check_records want got
'
test_expect_success 'all three at once, also in -w files and Avro' '
  ft-aggregate -r src.pcap --maxmind geoip2.mmdb --netacq flat.mmdb.gz \
    --pfx2as p2a.txt -w "files/%s.ft4.avro" 2>err &&
  ft-cat -F json files/1613239200.ft4.avro >got && cat >want <<-\EOF &&
	{"src_ip": "192.0.2.1", "maxmind_continent": "EU", "maxmind_country": "FR", "netacq_continent": "EU", "netacq_country": "RU", "prefix2asn": 64500}
	{"src_ip": "192.0.2.200", "maxmind_continent": "EU", "maxmind_country": "FR", "netacq_continent": "??", "netacq_country": "??", "prefix2asn": 64510}
	{"src_ip": "198.51.100.7", "maxmind_continent": "AS", "maxmind_country": "TH", "netacq_continent": "SA", "netacq_country": "BR", "prefix2asn": 64520}
	{"src_ip": "203.0.113.9", "maxmind_continent": "??", "maxmind_country": "??", "netacq_continent": "??", "netacq_country": "??", "prefix2asn": 0}
	EOF
  check_records want got &&
  test_grep "^ft-aggregate: --maxmind geoip2.mmdb: MaxMind DB, GeoIP2 layout$" err &&
  test_grep "^ft-aggregate: --netacq flat.mmdb.gz: MaxMind DB, flat layout (country_code)$" err &&
  test_grep "^ft-aggregate: --pfx2as p2a.txt: 3 ranges$" err
'
# A bad tag file stops the run before any packet is read: the message is
# the only output (no statistics, no records), even when the capture
# named would fail too.
for bad in "--maxmind nope.mmdb|nope.mmdb: No such file or directory" \
           "--netacq nope.csv.gz|nope.csv.gz: No such file or directory" \
           "--pfx2as bad.txt|bad.txt: line 3: bad prefix length '33'" \
           "--pfx2as empty.txt|empty.txt: no IPv4 entries" \
           "--maxmind badcc.csv|badcc.csv: line 2: bad country code 'USA'" \
           "--netacq city.mmdb|city.mmdb: no country.iso_code or country_code field in the MaxMind DB" \
           "--maxmind cut.mmdb|cut.mmdb: neither a MaxMind DB nor a text file" \
           "--pfx2as flat.mmdb|flat.mmdb: a MaxMind DB; origin AS needs a prefix2as or range file"; do
  opt=${bad%%|*}; msg=${bad#*|}
  test_expect_success "a bad tag file exits 1 before reading packets: $opt" '
    printf "# x\n192.0.2.0\t24\t1\n192.0.2.0\t33\t2\n" >bad.txt &&
    printf "start,end,cc\n" >empty.txt &&
    printf "192.0.2.0,192.0.2.255,US\n198.51.100.0,198.51.100.255,USA\n" >badcc.csv &&
    mkmmdb city.mmdb "192.0.2.0/24={\"city\":\"Paris\"}" &&
    head -c 64 flat.mmdb >cut.mmdb &&
    for r in src.pcap nope.pcap; do
      ft-aggregate $opt -r $r >out 2>err; rc=$?
      echo "ft-aggregate: $msg" >want && test_cmp want err &&
      test $rc -eq 1 && test ! -s out || return 1
    done
  '
done

data=$FT_TOP/data/geo
mm=$data/geolite2-country/geolite2-country-ipv4.mmdb
asn=$data/asn/asn-ipv4.csv
if [ -s "$mm" ] && [ -s "$asn" ]; then
  test_expect_success 'real data from scripts/fetch-geodata' '
    printf "line($T, eth(ip4(\"8.8.8.8\", \"44.1.2.3\", udp(5000, 53))))\n" |
      mkpcap 1 real.pcap &&
    ft-aggregate --quiet -r real.pcap --maxmind "$mm" --pfx2as "$asn" |
      ft-cat -F json >got &&
    echo "{\"src_ip\": \"8.8.8.8\", \"maxmind_continent\": \"NA\", \"maxmind_country\": \"US\", \"prefix2asn\": 15169}" >want &&
    check_records want got
  '
else
  test_count=$((test_count + 1))
  echo "ok $test_count # SKIP real data absent (run scripts/fetch-geodata)"
fi

test_done
