#!/bin/sh
# Records copied, not re-encoded: ft-cat and ft-filter writing Avro or
# framed output copy each record's bytes when its input is in FT4's own
# schema and the bytes are exactly what fttools' encoder writes for it
# (reader.h ft_reader_set_encoded).  Whatever the input's encoding, the
# output must be the same bytes as before: checked across Avro (deflate,
# null), framed streams, an Avro file with a foreign schema (re-encoded
# field by field) and an Avro file in FT4's schema whose records are
# encoded as other Avro writers may (varints written long, arrays in
# several blocks or with byte sizes), which must be re-encoded, not
# copied.
. "$(dirname "$0")/lib.sh"

telescope-gen --seed 9 --packets 40000 -w t.pcap &&
  ft-aggregate --quiet -r t.pcap -F avro >t.avro || exit 1
ft-cat --codec null -w n.avro t.avro && ft-cat -F framed t.avro >t.ft4s || exit 1
ft-cat --help-fields >fields.txt || exit 1

# The same records in reverse field order (python3-avro): re-encoded.
ft-cat -F json --ip-format int t.avro |
  $PY "$FT_TOP/tests/tools/ft4-json2avro.py" f.avro --codec null --variant reversed || exit 1

# The same records in FT4's schema (t.avro's own schema text), every
# third one encoded in a way Avro allows and fttools never writes: one
# field changed in one of six ways (the others are copied).
ft-cat -F json --ip-format int t.avro | $PY -c '
import json, struct, sys
import avro.datafile, avro.io
schema = avro.datafile.DataFileReader(open(sys.argv[2], "rb"), avro.io.DatumReader()).meta["avro.schema"]
fields = [(l.split()[0], l.split()[1]) for l in open(sys.argv[3])]
def zz(v, extra=0):
    z = (v << 1) ^ (v >> 63)
    z &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = z & 0x7f
        z >>= 7
        if z == 0 and extra == 0:
            out.append(b)
            return bytes(out)
        if z == 0:
            extra -= 1
        out.append(b | 0x80)
def string(s):
    b = s.encode()
    return zz(len(b)) + b
def array(a, how):
    items = b"".join(zz(v) for v in a)
    if not a:
        return zz(0, how % 2)             # the end written long
    if how == 0:
        return zz(len(a), 1) + items + b"\0"     # the count written long
    if how == 1 and len(a) > 1:               # two blocks
        return zz(1) + zz(a[0]) + zz(len(a) - 1) + b"".join(zz(v) for v in a[1:]) + b"\0"
    return zz(-len(a)) + zz(len(items)) + items + b"\0"  # negative count, byte size
def record(r, odd):
    out = b""
    for k, (name, t) in enumerate(fields):
        v = r[name]
        mine = odd and k == odd[0] % len(fields)
        if t in ("long", "int"):
            out += zz(v, 1) if mine else zz(v)
        elif t == "string":
            out += (zz(len(v.encode()), 1) + v.encode()) if mine else string(v)
        elif mine:
            out += array(v, odd[1])
        else:
            out += (zz(len(v)) + b"".join(zz(x) for x in v) + b"\0") if v else b"\0"
    return out
recs = []
for i, line in enumerate(sys.stdin):
    r = json.loads(line)
    recs.append(record(r, (i // 3, i % 7) if i % 3 == 0 else None))
sync = bytes(range(16))
meta = {"avro.schema": bytes(schema), "avro.codec": b"null"}
out = open(sys.argv[1], "wb")
out.write(b"Obj\x01" + zz(len(meta)) + b"".join(string(k) + zz(len(v)) + v for k, v in meta.items()) + b"\0" + sync)
for at in range(0, len(recs), 1000):
    block = b"".join(recs[at:at + 1000])
    out.write(zz(len(recs[at:at + 1000])) + zz(len(block)) + block + sync)
out.close()
' o.avro t.avro fields.txt 2>err || { cat err; exit 1; }
INPUTS="t.avro n.avro t.ft4s f.avro o.avro"

test_expect_success 'every input holds the same records' '
  ft-cat -F csv t.avro >exp && test $(wc -l <exp) -gt 10000 &&
  for f in $INPUTS; do ft-cat -F csv $f >got && test_cmp exp got || return 1; done
'
test_expect_success 'o.avro is encoded as fttools never writes (so it is re-encoded)' '
  ft-cat --codec null -w back.avro o.avro &&
  ! cmp -s o.avro back.avro && test $(wc -c <o.avro) -gt $(wc -c <back.avro)
'

# OUT_NAME COMMAND...: runs COMMAND (with IN replaced by each input) and
# checks that every input gives the same bytes as t.avro, and as t.avro
# with every record decoded and encoded again (FT_COPY_RECORDS=0).
same_out() {
  name=$1; shift
  cmd=$(echo "$*" | sed "s/IN/t.avro/g")
  (FT_COPY_RECORDS=0 && export FT_COPY_RECORDS && eval "$cmd") >"$name.encoded" ||
    { echo "failed: FT_COPY_RECORDS=0 $cmd"; return 1; }
  for f in $INPUTS; do
    cmd=$(echo "$*" | sed "s/IN/$f/g")
    eval "$cmd" >"$name.$f" || { echo "failed: $cmd"; return 1; }
    cmp "$name.encoded" "$name.$f" || { echo "differs: $cmd"; return 1; }
  done
}

test_expect_success 'ft-cat to framed and to Avro: the same bytes from every input' '
  same_out cf "ft-cat -F framed IN" &&
  same_out ca "ft-cat -w ca-IN.avro IN && cat ca-IN.avro" &&
  same_out cn "ft-cat --codec null -F avro IN" &&
  same_out cs "ft-cat --codec snappy --block-size 5000 -F avro IN" &&
  same_out cl "ft-cat -n 777 -F framed IN"
'
test_expect_success 'ft-cat copying gives what re-encoding each record gives' '
  ft-cat -F framed f.avro >exp && ft-cat -F framed t.ft4s >got && test_cmp exp got &&
  ft-cat -F framed o.avro >got && test_cmp exp got
'
test_expect_success 'ft-cat --from/--to: the same bytes from every input' '
  t=$(ft-cat -F csv --no-header --fields time t.avro | sort -n | uniq | sed -n 3p) &&
  same_out cr "ft-cat --from $t --to $((t + 600)) -F framed IN" &&
  test "$(ft-cat --count cr.t.avro)" = \
       "$(ft-cat -F csv --no-header --fields time t.avro | awk -v t=$t "\$1 >= t && \$1 <= t + 600" | wc -l)"
'
test_expect_success 'ft-filter to framed and Avro, with --fail: the same bytes' '
  same_out ff "ft-filter \"common_ttls in 200..255 or protocol == udp\" -F framed IN" &&
  same_out fa "ft-filter -e \"src_ip in 10.0.0.0/7\" --fail fail-IN.avro -w ok-IN.avro IN &&
               cat ok-IN.avro fail-IN.avro" &&
  same_out fn "ft-filter --codec null -e \"dst_port < 1024\" -e \"packet_cnt > 1\" -F avro IN" &&
  same_out fi "ft-filter --intersect -e \"protocol == tcp\" -e \"uniq_dst_ips > 1\" -w i-IN.avro IN &&
               cat i-IN.avro" &&
  test $(ft-cat --count ff.t.avro) -gt 0 && test $(ft-cat --count i-t.avro.avro) -gt 0
'
test_expect_success 'ft-filter: the records that match, whole (csv of the copies)' '
  ft-filter "common_ttls in 200..255 or protocol == udp" o.avro | ft-cat -F csv >got &&
  ft-filter -F csv "common_ttls in 200..255 or protocol == udp" t.avro >exp &&
  test_cmp exp got &&
  ft-cat -F csv --no-header ok-o.avro.avro fail-o.avro.avro | sort >got &&
  ft-cat -F csv --no-header t.avro | sort >exp && test_cmp exp got &&
  ft-filter -F csv --no-header "src_ip in 10.0.0.0/7" t.avro >exp &&
  ft-cat -F csv --no-header ok-o.avro.avro >got && test_cmp exp got
'
test_expect_success 'mixed inputs in one run: the same bytes as one input read four times' '
  ft-cat -F framed t.avro f.avro o.avro t.ft4s >got &&
  ft-cat -F framed n.avro n.avro n.avro n.avro >exp && cmp exp got &&
  ft-filter "protocol == tcp" -F framed o.avro t.ft4s f.avro >got &&
  ft-filter "protocol == tcp" -F framed t.avro t.avro t.avro >exp && cmp exp got
'
test_expect_success 'Python avro reads the copied files' '
  for f in ca-o.avro.avro ca-t.ft4s.avro ok-o.avro.avro; do
    $PY -c "
import sys, avro.datafile, avro.io
n = sum(1 for _ in avro.datafile.DataFileReader(open(sys.argv[1], \"rb\"), avro.io.DatumReader()))
assert n == int(sys.argv[2]), (n, sys.argv[2])
" $f $(ft-cat --count $f) || return 1
  done
'
test_expect_success 'a damaged input: the error of a full read, no output file' '
  size=$(wc -c <n.avro) &&
  head -c $((size / 2)) n.avro >cut.avro &&
  test_must_fail ft-cat -F csv cut.avro >/dev/null 2>exp &&
  test_must_fail ft-cat -w cut-out.avro cut.avro 2>got && test_cmp exp got &&
  ! test -e cut-out.avro &&
  test_must_fail ft-filter -w cut-out.avro "protocol == tcp" cut.avro 2>got &&
  sed "s/^ft-cat: /ft-filter: /" exp >exp2 && test_cmp exp2 got && ! test -e cut-out.avro
'

test_done
