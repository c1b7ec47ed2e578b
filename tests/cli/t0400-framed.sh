#!/bin/sh
# The framed stream (ft4-stream(5)) between tools: its layout checked by an
# independent reader (Python: zlib + python3-avro), concatenation, and
# damaged pipes reported with the input, batch and record count.
. "$(dirname "$0")/lib.sh"

# 5000 varied records written by python3-avro, enough for several batches.
$PY - >recs.json <<'EOF' || exit 1
import json
for i in range(5000):
    n = i % 6
    print(json.dumps({
        "time": 1613239200 + 300 * (i // 1000), "src_ip": (i * 2654435761) % 2**32,
        "dst_net": 738197504 + (i % 256) * 65536, "dst_port": i % 65536,
        "protocol": [1, 6, 17][i % 3], "packet_cnt": 1 + i * 7919,
        "uniq_dst_ips": i % 100, "uniq_pkt_sizes": n, "uniq_ttls": n,
        "common_ttls": list(range(40, 40 + n)), "common_ttl_freqs": [i] * n,
        "common_srcports": [65535] * (5 - n),
        "maxmind_country": ["US", "CN", "??"][i % 3],
        "prefix2asn": i, "spoofed_packet_cnt": 2**40 if i % 97 == 0 else 0}))
EOF
$PY "$FT_TOP/tests/tools/ft4-json2avro.py" big.avro <recs.json || exit 1
ft-cat big.avro >big.ft4s || exit 1

# check.py STREAM AVRO: parses STREAM by ft4-stream(5) alone, checks every
# CRC, the fingerprint, counts and lengths, decodes each payload with
# python3-avro and compares the records with those of AVRO.  Prints the
# batch boundaries (byte offsets) and record counts, one batch a line.
cat >check.py <<'EOF'
import io, struct, sys, zlib
import avro.datafile, avro.io, avro.schema

def fp64(data):
    empty = 0xc15d213aa4d7a795
    fp = empty
    for b in data:
        x = (fp ^ b) & 0xff
        for _ in range(8):
            x = (x >> 1) ^ (empty & -(x & 1))
        fp = (fp >> 8) ^ x
    return fp

s = open(sys.argv[1], "rb").read()
rdr = avro.datafile.DataFileReader(open(sys.argv[2], "rb"), avro.io.DatumReader())
schema = avro.schema.parse(rdr.meta["avro.schema"].decode())
want = list(rdr)
assert s[:8] == b"\x89FT4S\r\n\x1a", s[:8]
ver, flags, bom, fp, hcrc = struct.unpack_from("<HHIQI", s, 8)
assert (ver, flags, bom) == (1, 0, 0x01020304)
assert fp == fp64(schema.canonical_form.encode()), hex(fp)
assert hcrc == zlib.crc32(s[:24])
pos, got = 28, []
reader = avro.io.DatumReader(schema)
while s[pos:pos + 4] == b"BTCH":
    count, length, crc = struct.unpack_from("<III", s, pos + 4)
    assert crc == zlib.crc32(s[pos + 16:pos + 16 + length], zlib.crc32(s[pos + 4:pos + 12]))
    assert 0 < length <= 64 * 1024 + 8192
    buf = io.BytesIO(s[pos + 16:pos + 16 + length])
    dec = avro.io.BinaryDecoder(buf)
    for _ in range(count):
        got.append(reader.read(dec))
    assert buf.tell() == length
    print(pos, len(got))
    pos += 16 + length
assert s[pos:pos + 4] == b"DONE", s[pos:pos + 4]
total, crc = struct.unpack_from("<QI", s, pos + 4)
assert crc == zlib.crc32(s[pos + 4:pos + 12])
assert total == len(got) == len(want)
assert pos + 16 == len(s)
assert got == want
print(pos, total)
EOF

test_expect_success 'an independent reader parses the stream and its records' '
  $PY check.py big.ft4s big.avro >bounds &&
  test $(wc -l <bounds) -ge 4
'
test_expect_success 'an empty selection is a header and an end marker' '
  ft-cat -n 0 big.avro | od -A d -t x1 >out &&
  cat >exp <<-\EOF &&
	0000000 89 46 54 34 53 0d 0a 1a 01 00 00 00 04 03 02 01
	0000016 1d cd 7e b5 cb bf c6 86 ff 2e 95 ac 44 4f 4e 45
	0000032 00 00 00 00 00 00 00 00 69 df 22 65
	0000044
	EOF
  test_cmp exp out
'
test_expect_success 'framed to framed is byte for byte the same' '
  ft-cat <big.ft4s >again.ft4s && cmp big.ft4s again.ft4s
'
test_expect_success 'concatenated streams read as one' '
  ft-cat -n 0 big.avro >empty.ft4s &&
  cat big.ft4s empty.ft4s big.ft4s | ft-cat --count >out &&
  echo 10000 >exp && test_cmp exp out
'
test_expect_success 'a gzip-compressed stream is read' '
  gzip -c big.ft4s | ft-cat --count >out && echo 5000 >exp && test_cmp exp out
'

# bounds line k: the offset of batch k and the records up to its end; the
# last line: the offset of the end marker and the total.
first=$(sed -n 1p bounds | cut -d" " -f1)
n1=$(sed -n 1p bounds | cut -d" " -f2)
second=$(sed -n 2p bounds | cut -d" " -f1)
end=$(tail -n 1 bounds | cut -d" " -f1)

test_expect_code 1 'a pipe cut at a batch boundary exits 1' \
  'head -c $second big.ft4s | ft-cat --count'
test_expect_success 'a pipe cut at a batch boundary is truncated, not a clean end' '
  head -c $second big.ft4s | test_must_fail ft-cat --count 2>err &&
  echo "ft-cat: (stdin): truncated stream (no end marker) after $n1 records" >exp &&
  test_cmp exp err
'
test_expect_success 'a pipe cut inside a batch names the batch' '
  head -c $((second + 100)) big.ft4s | test_must_fail ft-cat --count 2>err &&
  echo "ft-cat: (stdin): batch 2: truncated stream (no end marker) after $n1 records" >exp &&
  test_cmp exp err
'
test_expect_success 'a stream without its end marker is truncated' '
  head -c $end big.ft4s >noend.ft4s &&
  test_must_fail ft-cat --count noend.ft4s 2>err &&
  echo "ft-cat: noend.ft4s: truncated stream (no end marker) after 5000 records" >exp &&
  test_cmp exp err
'
test_expect_success 'a flipped byte is a checksum mismatch' '
  $PY -c "
import sys
s = bytearray(open(\"big.ft4s\", \"rb\").read())
s[$second + 16 + 50] ^= 0x20
open(\"flip.ft4s\", \"wb\").write(s)" &&
  test_must_fail ft-cat --count flip.ft4s 2>err &&
  echo "ft-cat: flip.ft4s: batch 2: checksum mismatch" >exp && test_cmp exp err
'
test_expect_success 'bytes after the end marker are trailing garbage' '
  { cat big.ft4s; echo junk; } | test_must_fail ft-cat --count 2>err &&
  size=$(wc -c <big.ft4s) &&
  echo "ft-cat: (stdin): trailing garbage after end marker at byte $size" >exp &&
  test_cmp exp err
'
test_expect_success 'text-mode mangling (CR LF to LF) is detected by the magic' '
  $PY -c "
s = open(\"big.ft4s\", \"rb\").read()
open(\"crlf.ft4s\", \"wb\").write(s.replace(b\"\\r\\n\", b\"\\n\"))" &&
  test_must_fail ft-cat --count crlf.ft4s 2>err &&
  test_grep "^ft-cat: crlf.ft4s: not FT4 data" err
'
test_expect_success 'a writer killed mid-stream is reported as truncated' '
  sh -c "head -c $((first + 7)) big.ft4s; kill -9 \$\$" |
    test_must_fail ft-cat --count 2>err &&
  echo "ft-cat: (stdin): batch 1: truncated stream (no end marker) after 0 records" >exp &&
  test_cmp exp err
'
test_done
