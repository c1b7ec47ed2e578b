#!/bin/sh
# t0300-avro-interop: our Avro files read by python3-avro and avrocat
# (avro-c) with every field equal, and python3-avro's files, in the three
# schema variants of FT4-SPEC section 2 and every codec, read by ft-cat.
. "$(dirname "$0")/lib.sh"

JSON2AVRO="$PY $FT_TOP/tests/tools/ft4-json2avro.py"

# same.py A B [--zero-counts]: A and B hold the same records.  Each is an
# Avro file (read with python3-avro) or JSON lines (ft-cat -F json
# --ip-format int, or avrocat).  --zero-counts: B's spoofed/masscan
# counts must be 0 whatever A says (the schema without them).
cat >same.py <<'EOF'
import json, sys
import avro.datafile, avro.io

def load(path):
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic == b"Obj\x01":
        with open(path, "rb") as f:
            recs = list(avro.datafile.DataFileReader(f, avro.io.DatumReader()))
    else:
        with open(path) as f:
            recs = [json.loads(l) for l in f if l.strip()]
    for r in recs:
        if "common_pkt_sizes" in r:
            r["common_pktsizes"] = r.pop("common_pkt_sizes")
    return recs

a, b = load(sys.argv[1]), load(sys.argv[2])
if "--zero-counts" in sys.argv:
    for r in a:
        r["spoofed_packet_cnt"] = r["masscan_packet_cnt"] = 0
    for r in b:
        r.setdefault("spoofed_packet_cnt", 0)
        r.setdefault("masscan_packet_cnt", 0)
if len(a) != len(b):
    sys.exit("%d records vs %d" % (len(a), len(b)))
for i, (x, y) in enumerate(zip(a, b)):
    if x != y:
        keys = sorted(k for k in set(x) | set(y) if x.get(k) != y.get(k))
        sys.exit("record %d differs in %s: %r vs %r" % (
            i, keys, [x.get(k) for k in keys], [y.get(k) for k in keys]))
if len(a[0] if a else {}) not in (0, 28):
    sys.exit("records have %d fields" % len(a[0]))
print("%d records equal" % len(a))
EOF

test_expect_success 'generate records (recgen) with our writer' '
	avro-rw gen 3000 1 base.avro null &&
	ft-cat -F json --ip-format int base.avro >base.json &&
	test "$(wc -l <base.json)" -eq 3000 &&
	grep -q "\"src_ip\":4294967295" base.json &&
	grep -q "\"packet_cnt\":1099511627776" base.json
'

for codec in null deflate snappy; do
	test_expect_success "python3-avro reads our $codec file" "
		ft-cat -F avro -w ours-$codec.avro --codec $codec base.avro &&
		\$PY same.py base.json ours-$codec.avro
	"
	test_expect_success "avrocat reads our $codec file" "
		avrocat ours-$codec.avro >avrocat-$codec.json &&
		\$PY same.py base.json avrocat-$codec.json
	"
done

test_expect_success 'python3-avro and avrocat read small blocks and every level' '
	for level in 0 1 9; do
		ft-cat -F avro -w lv.avro --level $level --block-size 1024 base.avro &&
		$PY same.py base.json lv.avro &&
		avrocat lv.avro >lv.json &&
		$PY same.py base.json lv.json || exit 1
	done
'

test_expect_success 'same records, same bytes' '
	ft-cat -F avro -w again.avro --codec deflate base.avro &&
	cmp ours-deflate.avro again.avro
'

test_expect_success 'zero records: a header that both libraries read' '
	avro-rw gen 0 1 empty.avro &&
	test "$(ft-cat --count empty.avro)" = 0 &&
	$PY same.py empty.avro empty.avro &&
	test -z "$(avrocat empty.avro)"
'

for variant in spec no-spoof-masscan pkt-sizes; do
	zero=
	[ $variant = no-spoof-masscan ] && zero=--zero-counts
	for codec in null deflate snappy; do
		test_expect_success "ft-cat reads python3-avro's $variant $codec file" "
			\$JSON2AVRO py.avro --codec $codec --variant $variant <base.json &&
			ft-cat -F json --ip-format int py.avro >py.json &&
			\$PY same.py base.json py.json $zero
		"
	done
	test_expect_success "ft-cat converts python3-avro's $variant file" "
		\$JSON2AVRO py.avro --codec deflate --variant $variant <base.json &&
		ft-cat -F avro -w conv.avro py.avro &&
		\$PY same.py base.json conv.avro $zero &&
		avrocat conv.avro >conv.json &&
		\$PY same.py base.json conv.json $zero
	"
done

test_expect_success 'a truncated file is an error naming the block (exit 1)' '
	head -c 5000 ours-null.avro >cut.avro &&
	{ ft-cat --count cut.avro 2>err; test $? -eq 1; } &&
	test_grep -x "ft-cat: cut.avro: block 1: truncated" err
'

test_expect_success 'a schema without src_ip is refused, naming the field (exit 1)' '
	$PY - <<-EOF &&
	import json, avro.datafile, avro.io, avro.schema
	s = {"type": "record", "name": "r", "fields": [
	    {"name": "time", "type": "long"}]}
	with open("nosrc.avro", "wb") as f:
	    w = avro.datafile.DataFileWriter(f, avro.io.DatumWriter(),
	                                     avro.schema.parse(json.dumps(s)))
	    w.append({"time": 1})
	    w.close()
	EOF
	{ ft-cat --count nosrc.avro 2>err; test $? -eq 1; } &&
	test_grep -x "ft-cat: nosrc.avro: schema: field .src_ip. missing" err
'

test_done
