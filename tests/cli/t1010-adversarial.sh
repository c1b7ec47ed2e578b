#!/bin/sh
# ft-aggregate against adversarial traffic: a flood of one-packet flows
# from spoofed sources, a /16 swept on one port and on every port, and
# malformed IPv4 (40 bytes of TCP options, total length 0 and 65535,
# IHL < 5, fragments).  With --max-memory set low, peak RSS stays within
# the bound plus RSS_SLACK (below), and the results equal an independent
# model of FT4-SPEC sections 1 and 3 in Python (adv-model.py) over the
# same packets.
. "$(dirname "$0")/lib.sh"

# RSS_SLACK (MiB): what a process needs besides the open intervals it is
# bounded on: the program and its libraries, stdio and zlib buffers, the
# writer thread's interval being encoded.  Under AddressSanitizer the
# shadow memory and the quarantine of freed blocks come on top: the
# quarantine is cut to 16 MiB (from 256) and counted in.
RSS_SLACK=24
if ldd "$(command -v ft-aggregate)" 2>/dev/null | grep -q libasan; then
  RSS_SLACK=48
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16"
  export ASAN_OPTIONS
fi
# Under tests/valgrind.sh the tools are scripts that exec valgrind, whose
# own memory is in the RSS measured: there the bounds are not checked
# (the rest of each test is).
RSS_CHECKED=1
head -c 4 "$(command -v ft-aggregate)" | grep -q ELF || RSS_CHECKED=0
peak_kib() { sed -n 's/^rss //p' "$1"; }
# rss_within FILE BOUND: the peak RSS in FILE is at most BOUND + RSS_SLACK MiB
rss_within() {
  [ $RSS_CHECKED = 1 ] || return 0
  test "$(peak_kib "$1")" -le $((($2 + RSS_SLACK) * 1024)) ||
    { echo "peak RSS $(peak_kib "$1") KiB, over $2 + $RSS_SLACK MiB"; return 1; }
}

cat >adv-gen.py <<'PY'
# adv-gen.py OUT.pcap: the adversarial capture (Ethernet), by interval
import struct, sys
sys.path.insert(0, sys.argv[2])
from pkt import eth, ip4, tcp, udp, icmp, raw
T = 1613239200
out = open(sys.argv[1], "wb")
out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
def put(ts, frame, wire=None):
    sec, usec = int(ts), int(round((ts - int(ts)) * 1e6))
    out.write(struct.pack("<IIII", sec, usec, len(frame), wire or len(frame)) + frame)
# interval 1: one source sweeps all of 44.1.0.0/16 on UDP port 5060
for i in range(65536):
    put(T + i * 0.004, eth(ip4("198.51.100.7", "44.1.%d.%d" % (i >> 8, i & 255),
                                udp(5061, 5060), ttl=50)))
# interval 2: one source, TCP SYNs to every port (0..65535) of 44.2.0.0/16
for i in range(65536):
    put(T + 300 + i * 0.004, eth(ip4("198.51.100.8", "44.2.%d.%d" % (i >> 8, i & 255),
                                      tcp(40000, i, "S", win=1024), ttl=250)))
# interval 3: malformed and unusual packets, each kind a few times
opts40 = b"\x02\x04\x05\xb4" + b"\x01" * 35 + b"\x00"
kinds = [
    ip4("192.0.2.1", "44.3.0.1", tcp(1234, 80, "S", opts=opts40)),       # 40 option bytes
    ip4("192.0.2.2", "44.3.0.2", tcp(1234, 81, "S"), length=0),          # total length 0
    ip4("192.0.2.3", "44.3.0.3", udp(53, 53), length=65535),             # longer than sent
    ip4("192.0.2.4", "44.3.0.4", tcp(1, 2, "S"), length=30),             # header past total
    ip4("192.0.2.5", "44.3.0.5", tcp(1, 2, "S"), ihl=4),                 # IHL < 5
    ip4("192.0.2.6", "44.3.0.6", tcp(1, 2, "S"), ihl=0),                 # IHL 0
    ip4("192.0.2.7", "44.3.0.7", udp(1, 2), version=6),                  # not version 4
    ip4("192.0.2.8", "44.3.0.8", tcp(5000, 23, "S"), frag=0x2000),       # first fragment
    ip4("192.0.2.8", "44.3.0.8", raw(6, b"\0" * 24), frag=0x00b9),       # non-first
    ip4("192.0.2.9", "44.3.0.9", raw(6, b"\x13\x88\0\x17"), frag=0x2000),  # tiny first
    ip4("192.0.2.10", "44.3.0.10", udp(1, 2), frag=0x8000),              # reserved bit
    ip4("192.0.2.0", "44.3.0.11", udp(7, 80)),                           # .0, UDP to 80
    ip4("44.3.0.12", "44.3.0.12", tcp(0, 9, "SR"), ttl=255),             # src == dst
    ip4("192.0.2.13", "44.3.0.13", raw(47), ttl=201),                    # GRE
    ip4("192.0.2.14", "44.3.0.14", icmp(8, 0), ttl=250),                 # ICMP echo
    ip4("192.0.2.15", "44.3.0.15", tcp(5, 6, "SA", win=1024), ttl=240),
]
for rep in range(3):
    for k, p in enumerate(kinds):
        put(T + 600 + rep * 10 + k * 0.01, eth(p))
    put(T + 600 + rep * 10 + 5, eth(b"\0" * 28, ethertype=0x0806))       # ARP
out.close()
PY

cat >adv-model.py <<'PY'
# adv-model.py PCAP CSV STATS: checks ft-aggregate's records (CSV of
# $FIELDS) and its packet statistics against FT4-SPEC sections 1 and 3
# computed here, packet by packet.
import struct, sys
pcap, csv, stats = sys.argv[1:4]
b = open(pcap, "rb").read()
assert struct.unpack_from("<I", b)[0] == 0xa1b2c3d4 and struct.unpack_from("<I", b, 20)[0] == 1
model, pos, n, bad, other = {}, 24, 0, 0, 0
while pos < len(b):
    sec, usec, cap, wire = struct.unpack_from("<IIII", b, pos)
    f = b[pos + 16:pos + 16 + cap]
    pos += 16 + cap
    n += 1
    if struct.unpack_from("!H", f, 12)[0] != 0x0800:
        other += 1
        continue
    ip = f[14:]
    if len(ip) < 20 or ip[0] >> 4 != 4 or (ip[0] & 15) < 5:
        bad += 1
        continue
    ihl = (ip[0] & 15) * 4
    total, frag = struct.unpack_from("!H", ip, 2)[0], struct.unpack_from("!H", ip, 6)[0]
    ttl, proto = ip[8], ip[9]
    src, dst = struct.unpack_from("!II", ip, 12)
    fixed = {6: 20, 17: 8, 1: 8}.get(proto)
    hdr = fixed is not None and (frag & 0x1fff) == 0 and ihl + fixed <= min(len(ip), total)
    sport = dport = flags = win = doff = 0
    if hdr:
        if proto == 1:
            dport = ip[ihl] << 8 | ip[ihl + 1]
        else:
            sport, dport = struct.unpack_from("!HH", ip, ihl)
        if proto == 6:
            doff, flags = ip[ihl + 12] >> 4, ip[ihl + 13]
            win = struct.unpack_from("!H", ip, ihl + 14)[0]
    syn = proto == 6 and hdr and (flags & 0x12) == 0x02
    masscan = syn and win == 1024 and doff == 5 and ttl >= 200
    ok_flags = {0x02, 0x10, 0x04, 0x01, 0x03, 0x12, 0x11, 0x18, 0x19}
    spoofed = (proto not in (1, 6, 17, 41)
               or (proto == 6 and hdr and (flags & 0x3f) not in ok_flags)
               or (ttl >= 200 and proto != 1 and not (syn and win == 1024 and doff == 5))
               or (frag & 0x1fff) != 0 or (frag & 0x8000) != 0
               or (src & 255) in (0, 255) or src == dst
               or (proto in (6, 17) and (sport == 0 or dport == 0))
               or (proto == 17 and dport == 80))
    key = (sec // 300 * 300, src, dst & 0xffff0000, dport if proto in (1, 6, 17) else 0, proto)
    m = model.setdefault(key, [0, set(), set(), 0, 0, None])
    m[0] += 1; m[1].add(dst); m[2].add(total)
    m[3] += bool(spoofed); m[4] += bool(masscan)
    if m[5] is None and proto == 6 and hdr and flags == 0x02:
        m[5] = doff * 4
got = {}
for line in open(csv):
    t, s, d, p, pr, cnt, ud, us, fsl, sp, ms = map(int, line.split(","))
    got.setdefault((t, s, d, p, pr), []).append((cnt, ud, us, fsl, sp, ms))
errors = []
if set(got) != set(model):
    errors.append("keys: %d only in the output, %d only in the model" %
                  (len(set(got) - set(model)), len(set(model) - set(got))))
for k, recs in got.items():
    m = model.get(k)
    if not m:
        continue
    sums = [sum(r[i] for r in recs) for i in (0, 4, 5)]
    if sums != [m[0], m[3], m[4]]:
        errors.append("%s: packets, spoofed, masscan %s, model %s" % (k, sums, [m[0], m[3], m[4]]))
    if len(recs) == 1:  # one record for the key: every statistic is exact
        cnt, ud, us, fsl, sp, ms = recs[0]
        want = (len(m[1]), len(m[2]), m[5] or 0)
        if (ud, us, fsl) != want:
            errors.append("%s: uniq_dst_ips, uniq_pkt_sizes, first_syn_length %s, model %s"
                          % (k, (ud, us, fsl), want))
line = "%d packets read, %d aggregated, %d not IPv4, %d malformed" % (n, n - bad - other, other, bad)
if line not in open(stats).read():
    errors.append("statistics: want '%s'" % line)
for e in errors[:10]:
    print("MISMATCH", e)
sys.exit(1 if errors else 0)
PY
cat >flood-check.py <<'PY'
# flood-check.py PCAP CSV: every packet counted, one flow per source
import struct, sys
b = open(sys.argv[1], "rb").read()
srcs, pos = set(), 24
while pos < len(b):
    cap = struct.unpack_from("<I", b, pos + 8)[0]
    srcs.add(struct.unpack_from("!I", b, pos + 16 + 12)[0])
    pos += 16 + cap
got = [tuple(map(int, l.split(","))) for l in open(sys.argv[2])]
assert len(srcs) == 1000000, len(srcs)
assert sum(c for _, c in got) == 1000000
assert set(s for s, _ in got) == srcs
PY
FIELDS=time,src_ip,dst_net,dst_port,protocol,packet_cnt,uniq_dst_ips,uniq_pkt_sizes,first_syn_length,spoofed_packet_cnt,masscan_packet_cnt

test_expect_success 'generate the adversarial capture and the flood' '
  $PY adv-gen.py adv.pcap "$FT_TOP/tests/tools" &&
  telescope-gen --flood 1000000 --linktype raw --duration 600 -w flood.pcap
'

test_expect_success 'flood of 1 M spoofed one-packet flows: bounded RSS, every packet counted' '
  /usr/bin/time -o rss -f "rss %M" ft-aggregate --max-memory 4M -r flood.pcap >flood.fr 2>st &&
  test_grep "1000000 packets read, 1000000 aggregated" st &&
  test_grep "memory limit reached" st &&
  rss_within rss 4 &&
  ft-cat -F csv --no-header --ip-format int --fields src_ip,packet_cnt flood.fr >flood.csv &&
  $PY flood-check.py flood.pcap flood.csv
'

test_expect_success 'the same without a bound needs more than the bound allows (the check can fail)' '
  /usr/bin/time -o rss0 -f "rss %M" ft-aggregate -r flood.pcap >/dev/null 2>&1 &&
  { [ $RSS_CHECKED = 0 ] || test "$(peak_kib rss0)" -gt "$(peak_kib rss)"; }
'

test_expect_success 'sweeps and malformed packets under a 1 MiB bound: exact per the spec' '
  /usr/bin/time -o rss -f "rss %M" ft-aggregate --max-memory 1M -r adv.pcap >adv.fr 2>st &&
  test_grep "memory limit reached: .* [1-9][0-9]* partial writes" st &&
  rss_within rss 1 &&
  ft-cat -F csv --no-header --ip-format int --fields $FIELDS adv.fr >adv.csv &&
  $PY adv-model.py adv.pcap adv.csv st
'

test_expect_success 'the /16 sweep on one port is one record with uniq_dst_ips 65536' '
  ft-filter -e "src_ip == 198.51.100.7" -F csv --no-header --ip-format int \
    --fields packet_cnt,uniq_dst_ips,dst_net adv.fr >sweep &&
  echo 65536,65536,738263040 >want && test_cmp want sweep
'

test_expect_success 'the sweep of every port: 65536 flows, 65536 masscan packets, 1 spoofed' '
  ft-filter -e "src_ip == 198.51.100.8" -F csv --no-header --ip-format int \
    --fields dst_port,masscan_packet_cnt,spoofed_packet_cnt adv.fr >ports &&
  test "$(cut -d, -f1 ports | sort -u | wc -l)" = 65536 &&
  test "$(awk -F, "{m += \$2; s += \$3} END {print m, s}" ports)" = "65536 1"
'

test_expect_success '40 bytes of TCP options: first_syn_length 60, not masscan' '
  ft-filter -e "src_ip == 192.0.2.1" -F csv --no-header --ip-format int \
    --fields packet_cnt,first_syn_length,masscan_packet_cnt adv.fr >opt &&
  echo 3,60,0 >want && test_cmp want opt
'

# A pcap cut inside packet 3: in its data, or in its record header.
test_expect_success 'a capture truncated mid-packet names the packet' '
  telescope-gen --flood 3 --linktype raw -w three.pcap &&
  head -c $((24 + 56 * 2 + 30)) three.pcap >cut-data.pcap &&
  head -c $((24 + 56 * 2 + 8)) three.pcap >cut-hdr.pcap &&
  head -c $((24 + 56 * 2)) three.pcap >two.pcap &&
  for f in cut-data cut-hdr; do
    ft-aggregate -r $f.pcap >/dev/null 2>err; test $? = 1 || return 1
    test_grep -x "ft-aggregate: $f.pcap: packet 3: truncated" err || return 1
  done &&
  ft-aggregate -r two.pcap >/dev/null 2>st && test_grep "2 packets read" st
'
test_done
