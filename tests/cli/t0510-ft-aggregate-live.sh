#!/bin/sh
# ft-aggregate -i: live capture on a veth pair inside a network namespace
# made by this test (root only), with tcpreplay sending a known capture.
. "$(dirname "$0")/lib.sh"

skip_all() {
  echo "ok 1 # SKIP $1"
  test_count=1
  test_done
  exit 0
}
[ "$(id -u)" = 0 ] || skip_all "live capture needs root"
command -v tcpreplay >/dev/null || skip_all "tcpreplay is not installed"

NS=fttest$$
cleanup() {
  ip netns pids $NS 2>/dev/null | xargs -r kill -KILL 2>/dev/null
  ip netns del $NS 2>/dev/null
  cd / && rm -rf "$TRASH"
}
trap cleanup EXIT
ip netns add $NS || skip_all "cannot create a network namespace"
ip -n $NS link add fta type veth peer name ftb &&
ip -n $NS link set fta up && ip -n $NS link set ftb up || exit 1

T=1613239200
{
  for i in $(seq 1 50); do
    echo "line($T+$i, eth(ip4(\"1.2.3.4\", \"44.1.0.$i\", tcp(5000 + $i, 23, \"S\"))))"
  done
  echo "line($T+60, eth(ip4(\"9.9.9.2\", \"44.2.0.6\", udp(1234, 80), ttl=50)))"
  echo "line($T+61, eth(b\"\\\\0\" * 28, ethertype=0x0806))"
} | $PY "$FT_TOP/tests/tools/pkt.py" | pcap-from-hex 1 replay.pcap || exit 1

test_expect_success 'captures what tcpreplay sends on a veth pair' '
  ip netns exec $NS ft-aggregate -i ftb --interval 3600 -F json --ip-format int \
    >live.json 2>live.err &
  pid=$! &&
  sleep 1 &&
  ip netns exec $NS tcpreplay -q -t -i fta replay.pcap >/dev/null 2>&1 &&
  sleep 1 && kill -TERM $pid && wait $pid &&
  test_grep "51 aggregated" live.err &&
  $PY - live.json <<-\PY
	import json, sys
	recs = [json.loads(l) for l in open(sys.argv[1])]
	tcp = [r for r in recs if r["src_ip"] == 16909060]
	assert len(tcp) == 1 and tcp[0]["packet_cnt"] == 50 and tcp[0]["uniq_dst_ips"] == 50, recs
	assert tcp[0]["uniq_src_ports"] == 50 and tcp[0]["dst_port"] == 23, tcp
	udp = [r for r in recs if r["src_ip"] == 151587074]
	assert len(udp) == 1 and udp[0]["spoofed_packet_cnt"] == 1, recs
	PY
'
test_expect_success 'a quiet link still rotates: the file appears before the signal' '
  ip netns exec $NS ft-aggregate -i ftb --interval 2 --reorder 0 --quiet \
    -w "rot/live_%s.avro" ip &
  pid=$! &&
  sleep 1 &&
  ip netns exec $NS tcpreplay -q -t -i fta replay.pcap >/dev/null 2>&1 &&
  sleep 5 && ls rot/live_*.avro >files && test -s files &&
  kill -TERM $pid && wait $pid &&
  ft-cat --count rot/live_*.avro >n && test "$(cat n)" -ge 2 &&
  ! ls rot/*.tmp.* 2>/dev/null
'
test_expect_success 'an interface that does not exist is an error' '
  test_must_fail ip netns exec $NS ft-aggregate -i nosuch0 2>err &&
  test_grep "^ft-aggregate: nosuch0: " err
'
test_done
