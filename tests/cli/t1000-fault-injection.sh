#!/bin/sh
# Fault injection: damaged inputs (Avro, framed stream, pcap, gzip of each:
# cut at every block boundary and at random offsets, bytes flipped, empty),
# inputs that cannot be read, pipes that close early, full disks, kill -9
# during ft-aggregate, and allocation failures (tests/fuzz/failmalloc.c).
#
# Allocation failures are swept over ft-cat and ft-aggregate, and over
# ft-filter, ft-topn, ft-series and ft-convert reading foreign schemas.
#
# Every failure must be one line "TOOL: INPUT: ..." naming where, exit 1,
# never a signal, and leave no -w file and no temporary behind.
#
# FT_FAULT_QUICK=1 (set by tests/valgrind.sh) samples fewer cuts and uses
# a smaller capture for kill -9, so the script stays affordable when every
# tool runs under valgrind.
. "$(dirname "$0")/lib.sh"

quick=${FT_FAULT_QUICK:-}
if [ -n "$quick" ]; then NCUT=6; NRAND=4; NFLIP=4; KILLPKTS=60000
else NCUT=40; NRAND=20; NFLIP=24; KILLPKTS=800000
fi

# ---- inputs ------------------------------------------------------------
# A capture, its records as Avro (small blocks, so there are several) and
# as a framed stream (several batches), and gzip of each.
telescope-gen --packets 4000 --seed 11 -w cap.pcap || exit 1
ft-aggregate --quiet -r cap.pcap -F framed >all.fr || exit 1
ft-cat -F avro --block-size 8K -w rec.avro all.fr || exit 1
# The framed writer cuts batches at 64 KiB: repeat the records to get some.
ft-cat -F framed all.fr all.fr all.fr all.fr all.fr all.fr >rec.fr || exit 1
# A short capture for ft-aggregate cuts (every packet is a boundary).
telescope-gen --packets 120 --seed 12 -w small.pcap || exit 1
for f in rec.avro rec.fr small.pcap; do gzip -n -c $f >$f.gz || exit 1; done

# bounds.py FILE: offsets at which FILE may end cleanly or where a block
# starts (one per line, from the format's own framing); for Avro each
# with the number of records before it.
cat >bounds.py <<'EOF'
import struct, sys
b = open(sys.argv[1], "rb").read()
out = []
def zz(pos):
    v = s = 0
    while True:
        c = b[pos]; pos += 1
        v |= (c & 0x7f) << s; s += 7
        if not c & 0x80:
            return (v >> 1) ^ -(v & 1), pos
if b[:4] == b"Obj\x01": # offset and the records before it
    pos = 4
    while True:
        n, pos = zz(pos)
        if n == 0: break
        if n < 0: _, pos = zz(pos); n = -n
        for _ in range(n):
            k, pos = zz(pos); pos += k
            v, pos = zz(pos); pos += v
    pos += 16
    total = 0
    out.append("%d 0" % pos)
    while pos < len(b):
        cnt, pos = zz(pos); size, pos = zz(pos); pos += size + 16
        total += cnt
        out.append("%d %d" % (pos, total))
elif b[:4] == b"\x89FT4":
    pos = 28
    out.append(pos)
    while pos < len(b):
        tag = b[pos:pos + 4]
        if tag == b"BTCH":
            pos += 16 + struct.unpack("<I", b[pos + 8:pos + 12])[0]
        else:
            pos += 16
        out.append(pos)
else: # pcap
    pos = 24
    out.append(pos)
    while pos < len(b):
        pos += 16 + struct.unpack("<I", b[pos + 8:pos + 12])[0]
        out.append(pos)
print("\n".join(map(str, out)))
EOF
# sample N: at most N lines of stdin, evenly spread, first and last kept
sample() { awk -v n="$1" '{a[NR] = $0} END {
  if (NR <= n) { for (i = 1; i <= NR; i++) print a[i]; exit }
  for (i = 0; i < n; i++) print a[1 + int(i * (NR - 1) / (n - 1))] }'; }
# randoms SEED COUNT MAX: COUNT reproducible offsets in 1..MAX-1
randoms() { awk -v s="$1" -v n="$2" -v m="$3" 'BEGIN { srand(s);
  for (i = 0; i < n; i++) print 1 + int(rand() * (m - 1)) }'; }
size() { wc -c <"$1" | tr -d ' '; }
# expect_exit N CMD...: CMD exits N
expect_exit() {
  want=$1; shift
  "$@"
  rc=$?
  [ "$rc" -eq "$want" ] || { echo "'$*' exited $rc, want $want"; return 1; }
}

# one_error TOOL INPUT ERRFILE: exactly one line "TOOL: INPUT: WHAT",
# WHAT saying where (a number: block, byte, batch, record count; or the
# header), unless the input is not of a known format at all
one_error() {
  if [ "$(wc -l <"$3")" -ne 1 ]; then
    echo "want one line of error, got:"; cat "$3"; return 1
  fi
  case "$(cat "$3")" in
    "$1: $2: "*) ;;
    *) echo "error does not start with '$1: $2: ':"; cat "$3"; return 1 ;;
  esac
  if ! grep -q -E '[0-9]|header|not FT4 data|unknown file format|empty input' "$3"; then
    echo "error does not say where:"; cat "$3"; return 1
  fi
}
# no_output NAME: neither NAME nor a temporary of it exists
no_output() {
  if ls -A | grep -q -E "^$1(\$|\\.tmp\\.)"; then
    echo "left behind:"; ls -A | grep -E "^$1"; return 1
  fi
}
# no_temps DIR: no temporary file anywhere under DIR
no_temps() {
  t=$(find "$1" -name '*.tmp.*')
  [ -z "$t" ] || { echo "temporaries left: $t"; return 1; }
}
# same_files REF DIR: every file in DIR (temporaries aside) is complete:
# byte-identical to the file of that name in REF
same_files() {
  for f in $(cd "$2" && find . -type f ! -name '*.tmp.*'); do
    cmp "$1/$f" "$2/$f" || { echo "$2/$f differs from a complete run"; return 1; }
  done
}

# cut_case TOOL-ARGS... : helper state in variables below
# check_cut IN CUT OK_COUNT: IN cut to CUT bytes, read by ft-cat into -w
# out.avro; OK_COUNT is the record count when the cut is a clean end, or
# "fail" when it must be an error.
check_cut() {
  head -c "$2" "$1" >cut.in
  rm -f out.avro
  ft-cat -F avro -w out.avro cut.in 2>err
  rc=$?
  if [ "$3" = fail ]; then
    [ "$rc" -eq 1 ] || { echo "$1 cut at $2: exit $rc, want 1"; cat err; return 1; }
    one_error ft-cat cut.in err || { echo "($1 cut at $2)"; return 1; }
    no_output out.avro || { echo "($1 cut at $2)"; return 1; }
  else
    [ "$rc" -eq 0 ] || { echo "$1 cut at $2: exit $rc, want 0"; cat err; return 1; }
    n=$(ft-cat --count out.avro) || return 1
    [ "$n" -eq "$3" ] || { echo "$1 cut at $2: $n records, want $3"; return 1; }
  fi
}

$PY bounds.py rec.avro >avro-cuts || exit 1

test_expect_success 'the Avro input has several blocks, the framed several batches' '
  test $(wc -l <avro-cuts) -ge 5 &&
  $PY bounds.py rec.fr >b && test $(wc -l <b) -ge 4
'

test_expect_success 'Avro cut at every block boundary: a valid file of the blocks before' '
  sample $NCUT <avro-cuts >cuts &&
  while read off cnt; do
    [ "$off" -eq "$(size rec.avro)" ] && continue
    check_cut rec.avro $off $cnt || exit 1
  done <cuts
'
test_expect_success 'Avro cut inside blocks and the header: one-line error, no file' '
  awk "{print \$1}" avro-cuts >b &&
  { randoms 1 $NRAND $(size rec.avro); awk "{print \$1 - 1; print \$1 + 1}" b | sample $NCUT; } |
  while read off; do
    grep -qx "$off" b && continue
    [ "$off" -ge "$(size rec.avro)" ] && continue
    check_cut rec.avro $off fail || exit 1
  done
'
test_expect_success 'framed stream cut anywhere (boundaries too): error, no file' '
  { $PY bounds.py rec.fr | sample $NCUT; randoms 2 $NRAND $(size rec.fr); } |
  while read off; do
    [ "$off" -ge "$(size rec.fr)" ] && continue
    check_cut rec.fr $off fail || exit 1
  done
'
test_expect_success 'gzip of Avro and framed cut anywhere: error, no file' '
  for f in rec.avro.gz rec.fr.gz; do
    { randoms 3 $NRAND $(size $f); echo 1; echo 2; echo 10; } |
    while read off; do
      check_cut $f $off fail || exit 1
    done || exit 1
  done
'

# ft-aggregate reads pcap: a cut at a packet boundary is a shorter valid
# capture; a cut inside one is an error.  Files of intervals that closed
# before the damage are complete (and equal those of a whole run); no
# temporary remains.
ft-aggregate --quiet -r small.pcap -w 'ref/%s.avro' || exit 1
check_pcap_cut() { # IN CUT ok|fail
  head -c "$2" "$1" >cut.pcap
  rm -rf agg
  ft-aggregate --quiet -r cut.pcap -w 'agg/%s.avro' 2>err
  rc=$?
  if [ "$3" = fail ]; then
    [ "$rc" -eq 1 ] || { echo "$1 cut at $2: exit $rc, want 1"; cat err; return 1; }
    one_error ft-aggregate cut.pcap err || { echo "($1 cut at $2)"; return 1; }
  else
    [ "$rc" -eq 0 ] || { echo "$1 cut at $2: exit $rc, want 0"; cat err; return 1; }
  fi
  if [ -d agg ]; then
    no_temps agg || { echo "($1 cut at $2)"; return 1; }
    if [ "$3" = fail ]; then # intervals closed before the damage
      same_files ref agg || { echo "($1 cut at $2)"; return 1; }
    else
      ft-cat --count agg/*.avro >/dev/null || return 1
    fi
  fi
}
test_expect_success 'pcap cut at packet boundaries: exit 0; inside packets: one-line error' '
  $PY bounds.py small.pcap >b &&
  sample $NCUT <b | while read off; do
    check_pcap_cut small.pcap $off ok || exit 1
  done &&
  { randoms 4 $NRAND $(size small.pcap); echo 1; echo 23; } | while read off; do
    grep -qx "$off" b && continue
    check_pcap_cut small.pcap $off fail || exit 1
  done
'
test_expect_success 'gzip-compressed pcap (cut or whole): one-line error naming it' '
  for off in $(size small.pcap.gz) $(randoms 5 4 $(size small.pcap.gz)); do
    head -c $off small.pcap.gz >cut.pcap &&
    expect_exit 1 ft-aggregate --quiet -r cut.pcap -w "agg/%s.avro" 2>err &&
    one_error ft-aggregate cut.pcap err && test ! -e agg || exit 1
  done
'

# ---- flipped bytes ----------------------------------------------------
# flip FILE OFF: FILE with the byte at OFF inverted, into flip.in
flip() {
  $PY - "$1" "$2" <<-\EOF
	import sys
	b = bytearray(open(sys.argv[1], "rb").read())
	b[int(sys.argv[2])] ^= 0xff
	open("flip.in", "wb").write(b)
	EOF
}
# check_flip FILE OFF strict: strict = the damage must be detected
check_flip() {
  flip "$1" "$2" || return 1
  rm -f out.avro
  ft-cat -F avro -w out.avro flip.in 2>err
  rc=$?
  if [ "$rc" -eq 1 ]; then
    one_error ft-cat flip.in err && no_output out.avro ||
      { echo "($1, byte $2 flipped)"; return 1; }
  elif [ "$rc" -eq 0 ] && [ "${3:-}" != strict ]; then
    ft-cat --count out.avro >/dev/null || return 1
  else
    echo "$1, byte $2 flipped: exit $rc"; cat err; return 1
  fi
}
test_expect_success 'framed stream: every flipped byte is detected (checksums)' '
  { randoms 6 $NFLIP $(size rec.fr); $PY bounds.py rec.fr | sample 8; } |
  while read off; do
    [ "$off" -ge "$(size rec.fr)" ] && continue
    check_flip rec.fr $off strict || exit 1
  done
'
test_expect_success 'Avro, gzip: flipped bytes give a valid read or a one-line error' '
  for f in rec.avro rec.avro.gz rec.fr.gz; do
    randoms 7 $NFLIP $(size $f) | while read off; do
      check_flip $f $off || exit 1
    done || exit 1
  done
'
test_expect_success 'pcap: flipped bytes give exit 0 or a one-line error, never a signal' '
  randoms 8 $NFLIP $(size small.pcap) | while read off; do
    flip small.pcap $off && mv flip.in flip.pcap && rm -rf agg &&
    ft-aggregate --quiet -r flip.pcap -w "agg/%s.avro" 2>err
    rc=$?
    case $rc in
      0) ;;
      1) one_error ft-aggregate flip.pcap err || exit 1 ;;
      *) echo "byte $off flipped: exit $rc"; cat err; exit 1 ;;
    esac
    [ ! -d agg ] || no_temps agg || exit 1
  done
'

# ---- inputs that cannot be read -----------------------------------------
: >empty
mkdir dir
# unreadable NAME WHAT: ft-cat and ft-aggregate refuse input NAME with
# "NAME: WHAT" (ft-cat's words; ft-aggregate's come from libpcap)
unreadable() {
  rm -rf out.avro agg &&
  expect_exit 1 ft-cat -F avro -w out.avro "$1" 2>err &&
  test_grep -x "ft-cat: $1: $2" err && no_output out.avro &&
  expect_exit 1 ft-aggregate --quiet -r "$1" -w "agg/%s.avro" 2>err &&
  test $(wc -l <err) -eq 1 && test_grep "^ft-aggregate: $1: " err && test ! -e agg
}
test_expect_success 'empty file: one-line error, exit 1, no file' '
  unreadable empty "empty input"
'
test_expect_success 'a directory as input: one-line error, exit 1, no file' '
  unreadable dir "is a directory"
'
test_expect_success 'a missing file: one-line error, exit 1' '
  expect_exit 1 ft-cat nosuch 2>err &&
  test_grep -x "ft-cat: nosuch: No such file or directory" err &&
  expect_exit 1 ft-aggregate --quiet -r nosuch 2>err &&
  test $(wc -l <err) -eq 1 && test_grep "^ft-aggregate: nosuch: " err
'
# A read error (EIO): /proc/self/mem cannot be read at offset 0.
test_expect_success 'a read error (EIO): one-line error, exit 1, no file' '
  rm -f out.avro &&
  expect_exit 1 ft-cat -F avro -w out.avro /proc/self/mem 2>err &&
  test_grep -x "ft-cat: /proc/self/mem: Input/output error" err &&
  no_output out.avro
'
# Tests run as root, for whom permission bits do not stop reads: the tools
# run as nobody (setpriv) to read an unreadable file.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
   setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null &&
   setpriv --reuid=65534 --regid=65534 --clear-groups sh -c "test -x '$FT_BIN/ft-cat'"; then
  chmod 0 rec.fr.gz && chmod 0755 "$TRASH"
  test_expect_success 'an unreadable file (as nobody): one-line error, exit 1' '
    expect_exit 1 setpriv --reuid=65534 --regid=65534 --clear-groups \
      ft-cat rec.fr.gz 2>err &&
    test_grep -x "ft-cat: rec.fr.gz: Permission denied" err
  '
  chmod 0644 rec.fr.gz
else
  echo "ok $((test_count + 1)) # skip unreadable file: needs root and setpriv to drop to nobody"
  test_count=$((test_count + 1))
fi

# ---- pipes that close early -------------------------------------------
test_expect_success 'input pipe cut short: error naming (stdin) and where, no file' '
  rm -f out.avro &&
  for n in 100 5000 $(($(size rec.fr) - 3)); do
    head -c $n rec.fr | ft-cat -F avro -w out.avro 2>err
    rc=$?
    [ $rc -eq 1 ] || { echo "exit $rc"; exit 1; }
    one_error ft-cat "(stdin)" err && no_output out.avro || exit 1
  done
'
writer_dies() { sh -c 'head -c 3000 rec.avro; kill -9 $$'; }
test_expect_success 'input pipe whose writer is killed: error, no file' '
  rm -f out.avro
  writer_dies | { ft-cat -F avro -w out.avro 2>err; echo $? >rc; }
  test "$(cat rc)" -eq 1 && one_error ft-cat "(stdin)" err && no_output out.avro
'
test_expect_success 'output pipe closed early: quiet, no message' '
  { ft-cat -F csv rec.fr rec.fr 2>err; echo $? >rc; } | head -n 1 >/dev/null &&
  test ! -s err && { test "$(cat rc)" -eq 141 || test "$(cat rc)" -eq 0; } &&
  { ft-aggregate --quiet -r cap.pcap -F csv 2>err; echo $? >rc; } | head -n 1 >/dev/null &&
  test ! -s err && { test "$(cat rc)" -eq 141 || test "$(cat rc)" -eq 0; }
'

# ---- out of disk ------------------------------------------------------
if test -c /dev/full; then
  test_expect_success 'stdout on /dev/full: one-line error, exit 1' '
    expect_exit 1 ft-cat -F csv rec.fr >/dev/full 2>err &&
    test $(wc -l <err) -eq 1 && test_grep "No space left on device" err &&
    expect_exit 1 ft-aggregate --quiet -r cap.pcap >/dev/full 2>err &&
    test $(wc -l <err) -eq 1 && test_grep "No space left on device" err
  '
else
  echo "ok $((test_count + 1)) # skip /dev/full: not a character device here"
  test_count=$((test_count + 1))
fi
mkdir small
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=64k ft-test small 2>/dev/null; then
  trap 'umount "$TRASH/small" 2>/dev/null; cd /; rm -rf "$TRASH"' EXIT
  test_expect_success 'full disk (64 KiB tmpfs): error, exit 1, no file, no temporary' '
    expect_exit 1 ft-cat -F csv -w small/out.csv rec.fr 2>err &&
    test $(wc -l <err) -eq 1 && test_grep "^ft-cat: small/out.csv.*No space left on device" err &&
    test -z "$(ls -A small)" &&
    expect_exit 1 ft-cat -F avro --codec null -w small/out.avro rec.fr rec.fr 2>err &&
    test $(wc -l <err) -eq 1 && test_grep "No space left on device" err &&
    test -z "$(ls -A small)"
  '
  test_expect_success 'full disk under ft-aggregate -w: complete files only, no temporary' '
    ft-aggregate --quiet -r cap.pcap -F avro --codec null -w "ref-full/%s.avro" &&
    expect_exit 1 ft-aggregate --quiet -r cap.pcap -F avro --codec null \
      -w "small/agg/%s.avro" 2>err &&
    test $(wc -l <err) -eq 1 && test_grep "No space left on device" err &&
    no_temps small && same_files ref-full small/agg
  '
  umount small
else
  echo "ok $((test_count + 1)) # skip full disk: cannot mount a tmpfs (needs root, CAP_SYS_ADMIN)"
  test_count=$((test_count + 1))
fi

# ---- kill -9 during ft-aggregate ----------------------------------------
gen() { telescope-gen --packets $KILLPKTS --duration 7200 --seed 13 -w -; }
gen | ft-aggregate --quiet -r - -w 'kref/%Y/%s.avro' || exit 1
test_expect_success 'kill -9 during ft-aggregate: only complete files; a rerun gives the same' '
  for delay in 0.2 0.6 1.2; do
    rm -rf kill
    gen | ft-aggregate --quiet -r - -w "kill/%Y/%s.avro" &
    pid=$!
    sleep $delay
    kill -9 $pid 2>/dev/null
    wait
    if [ -d kill ]; then
      find kill -type f ! -name "*.avro" ! -name "*.avro.tmp.*" | grep . && exit 1
      same_files kref kill || { echo "after kill at ${delay}s"; exit 1; }
    fi
    gen | ft-aggregate --quiet -r - -w "kill/%Y/%s.avro" || exit 1
    (cd kref && find . -type f | sort) >a &&
    (cd kill && find . -type f ! -name "*.tmp.*" | sort) >b &&
    test_cmp a b && same_files kref kill ||
      { echo "rerun after kill at ${delay}s differs"; exit 1; }
  done
'

# ---- allocation failures ------------------------------------------------
# The shim replaces malloc, which sanitizer builds and valgrind also do:
# only plain (non-instrumented) binaries are swept.
fm=$FT_BUILD/tests/fuzz/failmalloc.so
plain() { head -c 4 "$1" | grep -q ELF && ! ldd "$1" 2>/dev/null | grep -q -E 'libasan|libubsan'; }
if plain "$FT_BIN/ft-cat" && plain "$FT_BIN/ft-aggregate"; then
  if [ ! -f "$fm" ] || [ "$FT_TOP/tests/fuzz/failmalloc.c" -nt "$fm" ]; then
    mkdir -p "$(dirname "$fm")" &&
    ${CC:-cc} -shared -fPIC -O2 -o "$fm" "$FT_TOP/tests/fuzz/failmalloc.c" || exit 1
  fi
  ft-cat -n 6 -F avro -w six.avro rec.avro || exit 1
  ft-cat -F csv six.avro >six.csv || exit 1
  ft-aggregate --quiet -r small.pcap -w "mref/%s.avro" || exit 1
  # sweep CHECK CMD...: runs CMD with the Nth allocation failing, for every
  # N until a run makes fewer than N allocations.  Each run exits 0 and
  # passes CHECK (shell code: the output is right, the failure was
  # handled), or exits 1 with one line saying memory ran out and leaves
  # no -w file (o.avro) or temporary.
  sweep() {
    check=$1; shift
    n=1
    bad=0
    rm -f sweep.log
    while :; do
      rm -rf o.out o.avro mout fm.st
      FAILMALLOC_N=$n FAILMALLOC_STATS=fm.st LD_PRELOAD=$fm "$@" >o.out 2>err
      rc=$?
      why=""
      if [ ! -s fm.st ]; then
        why="exit $rc, died (signal $((rc - 128))?)"
      else
        read calls failed <fm.st
        [ "$failed" = 1 ] || break
        case $rc in
          0) eval "$check" || why="exit 0 but wrong output" ;;
          1) if [ "$(wc -l <err)" -ne 1 ] ||
                ! grep -q -E "out of memory|Cannot allocate memory|cannot start a compression thread" err; then
               why="exit 1 without a one-line out-of-memory message"
             elif ! no_output o.avro >/dev/null; then
               why="left o.avro or its temporary"
             elif [ -d mout ] && ! { no_temps mout && same_files mref mout; } >/dev/null; then
               why="left a temporary or an incomplete file"
             fi ;;
          2) why="exit 2 (a usage error)" ;;
          *) why="exit $rc (signal $((rc - 128)))" ;;
        esac
      fi
      if [ -n "$why" ]; then
        bad=$((bad + 1))
        echo "$why|$n|$(head -n 1 err)" >>sweep.log
      fi
      n=$((n + 1))
    done
    [ $n -gt 10 ] || { echo "only $n allocations: the shim is not working"; return 1; }
    [ $bad -eq 0 ] || {
      echo "$bad of $((n - 1)) failing allocations mishandled: $*"
      # each kind once: how often, the first N, its message
      awk -F"|" "!c[\$1]++ { first[\$1] = \$2; msg[\$1] = \$3 }
        END { for (k in c) printf \"  %d x %s, first at N=%d: %s\\n\", c[k], k, first[k], msg[k] }" sweep.log
      rm -f sweep.log
      return 1
    }
  }
  test_expect_success 'allocation failures: ft-cat Avro to CSV' '
    sweep "cmp -s o.out six.csv" ft-cat -F csv six.avro
  '
  test_expect_success 'allocation failures: ft-cat framed to an Avro file' '
    ft-cat -F framed six.avro >six.fr && ft-cat -F avro -w six2.avro six.fr &&
    sweep "cmp -s o.avro six2.avro" ft-cat -F avro -w o.avro six.fr
  '
  test_expect_success 'allocation failures: ft-aggregate to interval files' '
    sweep "same_files mref mout && same_files mout mref" \
      ft-aggregate --quiet -r small.pcap -w "mout/%s.avro"
  '
  # Foreign schemas (not our canonical text): an FT4 file written by
  # python3-avro with the fields in reverse order between an extra union
  # and an extra record (a map, a recursive union), and an FT3 file with
  # its fields in another order, int for long and bytes for string.  Every
  # tool that reads records goes through the schema parser (avro_schema.h).
  ft-cat -F json --ip-format int six.avro >six.json &&
  ft-filter --help-fields >fields.txt || exit 1
  $PY - six.json fields.txt foreign.avro foreign3.avro <<'EOF' || exit 1
import json, sys
import avro.datafile, avro.io, avro.schema
recs, fields, out4, out3 = sys.argv[1:5]
types = [l.split()[:2] for l in open(fields)]
def t(x):
    return {"type": "array", "items": "long"} if x.startswith("array") else x
f4 = ([{"name": "extra", "type": ["null", "string"]}] +
      [{"name": n, "type": t(x)} for n, x in reversed(types)] +
      [{"name": "more", "type": {"type": "record", "name": "M", "fields": [
          {"name": "m", "type": {"type": "map", "values": "long"}},
          {"name": "next", "type": ["null", "M"]}]}}])
s4 = avro.schema.parse(json.dumps({"type": "record", "name": "ft4", "namespace": "x.y",
                                   "fields": f4}))
w = avro.datafile.DataFileWriter(open(out4, "wb"), avro.io.DatumWriter(), s4, codec="deflate")
rows = [json.loads(l) for l in open(recs)]
for i, r in enumerate(rows):
    r["extra"] = None if i % 2 else "x" * i
    r["more"] = {"m": {"k": i}, "next": {"m": {}, "next": None}}
    w.append(r)
w.close()
f3 = [("netacq_country", "string"), ("time", "long"), ("dst_ip", "long"),
      ("src_ip", "long"), ("src_port", "int"), ("dst_port", "int"),
      ("protocol", "int"), ("ttl", "int"), ("tcp_flags", "int"), ("ip_len", "int"),
      ("tcp_synlen", "int"), ("tcp_synwinlen", "int"), ("packet_cnt", "long"),
      ("is_spoofed", "int"), ("is_masscan", "int"), ("maxmind_continent", "bytes"),
      ("maxmind_country", "string"), ("netacq_continent", "string"), ("prefix2asn", "int")]
s3 = avro.schema.parse(json.dumps({"type": "record", "name": "ft3",
                                   "fields": [{"name": n, "type": x} for n, x in f3]}))
w = avro.datafile.DataFileWriter(open(out3, "wb"), avro.io.DatumWriter(), s3, codec="deflate")
for i, r in enumerate(rows):
    w.append({"netacq_country": "FR", "time": r["time"] + i, "dst_ip": r["dst_net"] + i,
              "src_ip": r["src_ip"], "src_port": 1000 + i, "dst_port": r["dst_port"],
              "protocol": r["protocol"], "ttl": 64, "tcp_flags": 2, "ip_len": 40 + i,
              "tcp_synlen": 20, "tcp_synwinlen": 1024, "packet_cnt": r["packet_cnt"],
              "is_spoofed": i % 2, "is_masscan": 0, "maxmind_continent": b"EU",
              "maxmind_country": "FR", "netacq_continent": "EU", "prefix2asn": 64500})
w.close()
EOF
  ft-cat -F csv foreign.avro >foreign.csv && cmp six.csv foreign.csv || exit 1
  FILTER="packet_cnt >= 1 and not src_ip in 10.0.0.0/8"
  ft-filter -F csv -e "$FILTER" foreign.avro >filter.csv &&
  ft-topn -k src_ip,dst_port foreign.avro >topn.txt &&
  ft-series -F csv foreign.avro >series.csv &&
  ft-convert --quiet -F csv foreign3.avro >convert.csv &&
  test "$(wc -l <convert.csv)" -gt 1 || exit 1
  test_expect_success 'allocation failures: ft-cat, a foreign FT4 schema' '
    sweep "cmp -s o.out six.csv" ft-cat -F csv foreign.avro
  '
  test_expect_success 'allocation failures: ft-filter, a foreign FT4 schema' '
    sweep "cmp -s o.out filter.csv" ft-filter -F csv -e "$FILTER" foreign.avro
  '
  test_expect_success 'allocation failures: ft-topn, a foreign FT4 schema' '
    sweep "cmp -s o.out topn.txt" ft-topn -k src_ip,dst_port foreign.avro
  '
  test_expect_success 'allocation failures: ft-series, a foreign FT4 schema' '
    sweep "cmp -s o.out series.csv" ft-series -F csv foreign.avro
  '
  test_expect_success 'allocation failures: ft-convert, a foreign FT3 schema' '
    sweep "cmp -s o.out convert.csv" ft-convert --quiet -F csv foreign3.avro
  '
else
  echo "ok $((test_count + 1)) # skip allocation failures: sanitizer or valgrind build brings its own malloc"
  test_count=$((test_count + 1))
fi

test_done
