#!/bin/sh
# Reading FT4 straight from the object store: swift://CONTAINER/OBJECT and
# swift://CONTAINER/PREFIX/ (and the same over S3, s3://BUCKET/KEY, through
# the test Swift's s3api middleware) in every reading tool (streamed by ft-fetch,
# verified by MD5), --dataset swift://CONTAINER[/PREFIX] listing the store
# level by level, ft-fetch itself, and failures (404, no credentials, a
# download cut or failing mid-read, a stored object that does not match
# its MD5) - against a real single-node Swift (tests/swift/lib.sh).
. "$(dirname "$0")/lib.sh"
. "$FT_TOP/tests/swift/lib.sh"

unset ST_AUTH ST_USER ST_KEY OS_AUTH_URL OS_USERNAME OS_USER_ID OS_PASSWORD \
  OS_PROJECT_NAME OS_PROJECT_ID OS_USER_DOMAIN_NAME OS_USER_DOMAIN_ID \
  OS_PROJECT_DOMAIN_NAME OS_PROJECT_DOMAIN_ID OS_STORAGE_URL OS_AUTH_TOKEN \
  OS_REGION_NAME OS_INTERFACE OS_CACERT OS_IDENTITY_API_VERSION FT_FETCH \
  AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_ENDPOINT_URL \
  AWS_REGION AWS_DEFAULT_REGION AWS_CA_BUNDLE

# ---- ft-fetch without a store --------------------------------------------
test_expect_success 'ft-fetch --help and --version' '
  ft-fetch --help >out && test_grep "^Usage: ft-fetch" out &&
  ft-fetch --version >out && test_grep "^ft-fetch (fttools) [0-9]" out
'
test_expect_code 2 'ft-fetch: no URL exits 2' 'ft-fetch'
test_expect_code 2 'ft-fetch: not a store address exits 2' 'ft-fetch http://x/y >/dev/null'
test_expect_code 2 'ft-fetch: no container exits 2' 'ft-fetch swift:///o >/dev/null'
test_expect_code 2 'ft-fetch: --delimiter without --list exits 2' 'ft-fetch -d / swift://c/ >/dev/null'
test_expect_code 2 'ft-fetch: a two-character delimiter exits 2' 'ft-fetch -l -d ab swift://c/'
test_expect_success 'ft-fetch: usage errors say what and how to get help' '
  test_must_fail ft-fetch swift:// 2>err &&
  test_grep "swift://: no container name" err && test_grep "Try .ft-fetch --help." err
'
test_expect_success 'no credentials: one clear line from the reader, exit 1' '
  ft-cat swift://c/o >out 2>err; test $? -eq 1 &&
  test_grep "^ft-cat: swift://c/o: no Swift credentials in the environment: set ST_AUTH" err &&
  test "$(wc -l <err)" = 1
'
test_expect_success 'no credentials: ft-fetch --list, exit 1' '
  ft-fetch -l swift://c/ 2>err; test $? -eq 1 &&
  test_grep "^ft-fetch: .*no Swift credentials in the environment" err
'
test_expect_success 'S3 without credentials: exit 1, what to set' '
  ft-cat s3://bucket/o >out 2>err; test $? -eq 1 &&
  test_grep "^ft-cat: s3://bucket/o: .*AWS_ACCESS_KEY_ID" err && test "$(wc -l <err)" = 1
'
test_expect_code 2 'ft-fetch: a bad S3 address exits 2' 'ft-fetch s3:///k >/dev/null'
test_expect_success 'no ft-fetch to run: a clear error' '
  FT_FETCH=$TRASH/nosuch ft-cat swift://c/o 2>err; test $? -eq 1 &&
  test_grep "^ft-cat: swift://c/o: ft-fetch: cannot be run" err
'
test_expect_success 'a dataset root with another scheme is refused' '
  test_must_fail ft-cat --dataset http://x/y --list-files 2>err &&
  test_grep "http://x/y: not a directory or a store address" err
'

# ---- against a real Swift ------------------------------------------------
SW=$TRASH/sw
swift_test_start "$SW"
token() {
  curl -s -D - -o /dev/null -H "X-Auth-User: $ST_USER" -H "X-Auth-Key: $ST_KEY" "$ST_AUTH" |
    tr -d '\r' | sed -n 's/^[Xx]-[Aa]uth-[Tt]oken: //p'
}
STORE=http://127.0.0.1:$SWIFT_PROXY_PORT/v1/AUTH_test
# csv_eq A B: ft-cat prints the same records for both (A, B: inputs)
csv_eq() { ft-cat -F csv "$1" >a.csv && ft-cat -F csv "$2" >b.csv && test_cmp a.csv b.csv; }
# ft-fetch with one retry (the default backoff of 5 would take a minute)
printf '#!/bin/sh\nexec "%s/ft-fetch" --retries 1 "$@"\n' "$FT_BIN" >fetch1 &&
chmod +x fetch1

# A relay in front of the proxy that cuts object downloads (GET of an
# object, not listings): --cut-after BYTES of each answer, for the first
# --cuts answers (-1: all).
cat >cutter.py <<'EOF'
import argparse, socket, threading
ap = argparse.ArgumentParser()
ap.add_argument("--port-file", required=True)
ap.add_argument("--upstream", type=int, required=True)
ap.add_argument("--cut-after", type=int, required=True)
ap.add_argument("--cuts", type=int, default=1)
a = ap.parse_args()
lock = threading.Lock()
left = [a.cuts]
def close(*ss):
    for s in ss:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
def pump(src, dst, cut):
    n = 0
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            if cut is not None and n + len(b) >= cut:
                dst.sendall(b[:cut - n])
                break
            n += len(b)
            dst.sendall(b)
    except OSError:
        pass
    close(src, dst)
def serve(c):
    u = socket.create_connection(("127.0.0.1", a.upstream))
    first = c.recv(65536)
    line = first.split(b"\r\n", 1)[0]
    cut = None
    if line.startswith(b"GET /v1/") and b"?" not in line and line.count(b"/") > 4:
        with lock:
            if left[0] != 0:
                left[0] -= 1
                cut = a.cut_after
    u.sendall(first)
    threading.Thread(target=pump, args=(c, u, None), daemon=True).start()
    pump(u, c, cut)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(16)
open(a.port_file + ".tmp", "w").write(str(s.getsockname()[1]))
import os
os.rename(a.port_file + ".tmp", a.port_file)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF

# ---- data ------------------------------------------------------------------
swift_test_hour
ft-cat -F avro --codec null -w all-null.avro hour/* &&
ft-cat -F avro --codec snappy -w one-snappy.avro $first &&
ft-cat -F avro --codec deflate -w one-deflate.avro $first &&
ft-cat -F avro --codec null -w one-null.avro $first &&
ft-cat -F framed hour/* >all.framed && gzip -c all.framed >all.framed.gz &&
gzip -c $first >one.avro.gz ||
  { echo "Bail out! no test data"; exit 1; }
up() { ft-upload -q -c "$1" --as "$2" "$3"; }

test_expect_success 'upload the test objects' '
  up rd1 deflate.avro one-deflate.avro && up rd1 snappy.avro one-snappy.avro &&
  up rd1 null.avro one-null.avro && up rd1 all.framed all.framed &&
  up rd1 all.framed.gz all.framed.gz && up rd1 one.avro.gz one.avro.gz &&
  ft-upload -q --segment-size 65536 -c rd1 --as big/slo.avro all-null.avro &&
  test "$(stat -c %s all-null.avro)" -gt 200000
'
for o in deflate.avro snappy.avro null.avro all.framed all.framed.gz one.avro.gz; do
  case $o in deflate*) l=one-deflate.avro ;; snappy*) l=one-snappy.avro ;;
    null*) l=one-null.avro ;; *) l=$o ;; esac
  test_expect_success "ft-cat swift://rd1/$o equals the local file" "
    csv_eq swift://rd1/$o $l && ft-cat --count swift://rd1/$o >n && test \$(cat n) -gt 100
  "
done
test_expect_success 'a Static Large Object (4 segments) reads as the whole file' '
  csv_eq swift://rd1/big/slo.avro all-null.avro &&
  ft-fetch swift://rd1/big/slo.avro >got && cmp got all-null.avro
'
test_expect_success 'ft-filter on an object equals the local file' '
  ft-filter -F csv "common_ttls in 200..255" swift://rd1/big/slo.avro >got &&
  ft-filter -F csv "common_ttls in 200..255" all-null.avro >exp && test_cmp exp got &&
  test -s got
'
test_expect_success 'ft-topn on an object' '
  ft-topn -k dst_port -n 5 swift://rd1/all.framed.gz >got &&
  ft-topn -k dst_port -n 5 all.framed >exp && test_cmp exp got
'
test_expect_success 'ft-series on an object' '
  ft-series swift://rd1/all.framed >got && ft-series all.framed >exp && test_cmp exp got
'
test_expect_success 'ft-convert of an FT3 object equals that of the local file' '
  pcap2ft3 cap.pcap cap.ft3 && up rd1 cap.ft3 cap.ft3 &&
  ft-convert --quiet -F csv swift://rd1/cap.ft3 >got && ft-convert --quiet -F csv cap.ft3 >exp &&
  test_cmp exp got && test -s got
'
test_expect_success 'ft-convert of a prefix reads every object under it' '
  up rd1 ft3/b.ft3 cap.ft3 && up rd1 ft3/a.ft3 cap.ft3 &&
  ft-convert --quiet -F csv swift://rd1/ft3/ >got &&
  ft-convert --quiet -F csv cap.ft3 cap.ft3 >exp && test_cmp exp got &&
  test_must_fail ft-convert --quiet -F csv swift://rd1/none/ 2>err &&
  test_grep "swift://rd1/none/: no objects" err
'
test_expect_success 'objects and local files mixed, in order' '
  ft-cat -F csv $first swift://rd1/null.avro >got &&
  ft-cat -F csv $first one-null.avro >exp && test_cmp exp got
'
test_expect_success 'ft-cat -n stops reading early: no error, the download is stopped' '
  ft-cat -n 3 -F csv swift://rd1/big/slo.avro >got && test "$(wc -l <got)" = 4
'

# ---- prefixes ----------------------------------------------------------------
test_expect_success 'swift://C/PREFIX/ reads every object under it in name order' '
  up rd1 p/b hour/demo_1612130400.ft4.avro && up rd1 p/a $first &&
  up rd1 p/c/d hour/demo_1612130700.ft4.avro && up rd1 pz hour/demo_1612131000.ft4.avro &&
  ft-cat -F csv swift://rd1/p/ >got &&
  ft-cat -F csv $first hour/demo_1612130400.ft4.avro hour/demo_1612130700.ft4.avro >exp &&
  test_cmp exp got
'
test_expect_success 'an empty prefix is an error, exit 1' '
  ft-cat swift://rd1/nothing/ >out 2>err; test $? -eq 1 &&
  test_grep "^ft-cat: swift://rd1/nothing/: no objects$" err
'
test_expect_success 'ft-fetch --list: addresses in name order; --null; --delimiter' '
  ft-fetch --list swift://rd1/p >got &&
  printf "swift://rd1/%s\n" p/a p/b p/c/d pz >exp && test_cmp exp got &&
  ft-fetch -l -0 swift://rd1/p/ | tr "\0" "\n" >got &&
  printf "swift://rd1/%s\n" p/a p/b p/c/d >exp && test_cmp exp got &&
  ft-fetch -l -d / swift://rd1/p/ >got &&
  printf "swift://rd1/%s\n" p/a p/b p/c/ >exp && test_cmp exp got
'
test_expect_success 'ft-fetch of a prefix writes its objects one after the other' '
  ft-fetch swift://rd1/p/ >got && cat $first hour/demo_1612130400.ft4.avro hour/demo_1612130700.ft4.avro >exp &&
  cmp exp got
'

# ---- errors --------------------------------------------------------------------
test_expect_success 'a missing object: one line naming the address, exit 1, no -w file' '
  ft-cat -F avro -w out.avro swift://rd1/nosuch.avro 2>err; test $? -eq 1 &&
  echo "ft-cat: swift://rd1/nosuch.avro: HTTP 404 Not Found" >exp && test_cmp exp err &&
  ! ls out.avro* 2>/dev/null
'
test_expect_success 'a missing container' '
  ft-cat swift://nocont/x >/dev/null 2>err; test $? -eq 1 &&
  test_grep "swift://nocont/x: HTTP 404" err &&
  ft-fetch -l swift://nocont/ 2>err; test $? -eq 1 &&
  test_grep "^ft-fetch: swift://nocont/: no such container" err
'
test_expect_success 'ft-fetch -o: the file appears complete, or not at all' '
  ft-fetch -o got.avro swift://rd1/deflate.avro && cmp got.avro one-deflate.avro &&
  test_must_fail ft-fetch -o bad.avro swift://rd1/deflate.avro swift://rd1/nosuch 2>err &&
  test_grep "swift://rd1/nosuch: HTTP 404 Not Found" err && ! ls bad.avro* 2>/dev/null
'
test_expect_success 'ft-fetch will not write binary data to a terminal' '
  run_in_pty out ft-fetch swift://rd1/null.avro; test $? -eq 2 &&
  test_grep "will not write binary data to a terminal" out
'
test_expect_success 'a stored object that does not hash to its MD5: exit 1, no -w file' '
  up rd1 damaged.avro one-null.avro &&
  curl -s -X POST -H "X-Auth-Token: $(token)" \
    -H "X-Object-Meta-Ft-Md5: 0123456789abcdef0123456789abcdef" "$STORE/rd1/damaged.avro" &&
  ft-cat -F avro -w out.avro swift://rd1/damaged.avro 2>err; test $? -eq 1 &&
  test_grep "^ft-cat: swift://rd1/damaged.avro: MD5 [0-9a-f]*, but the store says 0123456789abcdef0123456789abcdef$" err &&
  ! ls out.avro* 2>/dev/null &&
  test_must_fail ft-fetch -o x swift://rd1/damaged.avro 2>err && ! ls x* 2>/dev/null
'
test_expect_success 'a download cut mid-read is resumed where it stopped' '
  port=$(swift_aux_start "$SW" cut1 "$TRASH/cutter.py" --upstream $SWIFT_PROXY_PORT --cut-after 50000 --cuts 1) &&
  OS_STORAGE_URL=http://127.0.0.1:$port/v1/AUTH_test OS_AUTH_TOKEN=$(token) \
    ft-cat -F csv swift://rd1/big/slo.avro >got 2>err &&
  ft-cat -F csv all-null.avro >exp && test_cmp exp got &&
  test_grep "^ft-cat: swift://rd1/big/slo.avro: .*; retry 1 of 5" err
'
test_expect_success 'cut every time: a clean failure after the retries, no -w file' '
  port=$(swift_aux_start "$SW" cut2 "$TRASH/cutter.py" --upstream $SWIFT_PROXY_PORT --cut-after 30000 --cuts -1) &&
  OS_STORAGE_URL=http://127.0.0.1:$port/v1/AUTH_test OS_AUTH_TOKEN=$(token) FT_FETCH=$TRASH/fetch1 \
    ft-cat -F avro -w out.avro swift://rd1/big/slo.avro 2>err; test $? -eq 1 &&
  test_grep "^ft-cat: swift://rd1/big/slo.avro: .*(gave up after 2 attempts)$" err &&
  ! ls out.avro* 2>/dev/null
'
test_expect_success 'the object server stopped: retried, then a clean failure' '
  swift_stop_server "$SW" object &&
  FT_FETCH=$TRASH/fetch1 ft-cat -F avro -w out.avro swift://rd1/null.avro 2>err; rc=$?
  swift_start_server "$SW" object && test $rc -eq 1 &&
  test_grep "^ft-cat: swift://rd1/null.avro: HTTP 503 Service Unavailable; retry 1 of 1" err &&
  test_grep "^ft-cat: swift://rd1/null.avro: HTTP 503 Service Unavailable (gave up after 2 attempts)$" err &&
  ! ls out.avro* 2>/dev/null
'

# ---- credentials and sessions ----------------------------------------------------
SECRET=ft-S3cr3t-k3y-9f2
test_expect_success 'the key never reaches output, messages or the command line of ft-fetch' '
  printf "#!/bin/sh\nprintf \"%%s\\\\n\" \"\$0\" \"\$@\" >>\"%s/argv.log\"\nexec \"%s/ft-fetch\" \"\$@\"\n" "$TRASH" "$FT_BIN" >rec &&
  chmod +x rec && export ST_USER=fttest:uploader ST_KEY=$SECRET &&
  ft-upload -q -c sec --as o.avro one-deflate.avro &&
  FT_FETCH=$TRASH/rec ft-cat -F csv swift://sec/o.avro swift://sec/nosuch >out 2>err;
  test $? -eq 1 && test_grep "^ft-cat: swift://sec/nosuch: HTTP 404 Not Found$" err &&
  test_grep "^swift://sec/o.avro$" argv.log && test_grep "^swift://sec/nosuch$" argv.log &&
  test "$(wc -l <out)" -gt 100 && tok=$(token) && test -n "$tok" &&
  ! grep -r -e "$SECRET" -e "$tok" out err argv.log
'
test_expect_success 'a wrong key: a clear error' '
  ST_KEY=wrong ft-cat swift://rd1/deflate.avro >/dev/null 2>err; test $? -eq 1 &&
  test_grep "^ft-cat: swift://rd1/deflate.avro: ST_AUTH: authentication failed (HTTP 401)" err
'
test_expect_success 'a token in the environment (OS_STORAGE_URL + OS_AUTH_TOKEN)' '
  OS_STORAGE_URL=$STORE OS_AUTH_TOKEN=$(token) ST_AUTH= ft-cat -F csv swift://rd1/deflate.avro >got &&
  ft-cat -F csv one-deflate.avro >exp && test_cmp exp got
'
test_expect_success 'a session refused with 401 is renewed from the credentials' '
  FT_FETCH_SESSION="swift:// 0 $STORE AUTH_tkbogus0123" ft-fetch swift://rd1/null.avro >got &&
  cmp got one-null.avro
'
keystone=$FT_TOP/tests/swift/fake_keystone.py
FAKE_KS_PASSWORD=ks-Pa55w0rd-r3ad
export FAKE_KS_PASSWORD
ks() {
  OS_AUTH_URL=http://127.0.0.1:$ksport/v3 OS_USERNAME=kuser OS_PASSWORD=$FAKE_KS_PASSWORD \
    OS_PROJECT_NAME=test OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default \
    ST_AUTH= "$@"
}

# ---- datasets ------------------------------------------------------------------------
# Three days: 23:15 to 00:45 over a month end, nothing on Feb 2, and half an
# hour on Feb 3; one interval missing as a gap.
LAYOUT='datasource=demo/year=%Y/month=%m/day=%d/hour=%H/demo_%s.ft4.avro'
telescope-gen --start 1612134900 --duration 5400 --packets 20000 --seed 3 -w d1.pcap &&
telescope-gen --start 1612310400 --duration 1800 --packets 6000 --seed 4 -w d3.pcap &&
ft-aggregate --quiet -r d1.pcap -w "ds/$LAYOUT" && ft-aggregate --quiet -r d3.pcap -w "ds/$LAYOUT" &&
rm ds/datasource=demo/year=2021/month=02/day=01/hour=00/demo_1612137900.ft4.avro ||
  { echo "Bail out! no dataset"; exit 1; }
test_expect_success 'upload the dataset (STARDUST names) twice: a container, and under a prefix' '
  ft-upload -q -j 2 -c ds1 --datasource demo ds &&
  ft-upload -q -j 2 -c ds2 --name "pre/fix/$LAYOUT" ds &&
  test "$(ft-fetch -l swift://ds1/ | wc -l)" = "$(find ds -type f | wc -l)"
'
# same_selection ROOT ARGS...: --list-files and the records of ROOT equal
# those of the local ds
same_selection() {
  root=$1; shift
  ft-cat --dataset ds --list-files "$@" | sed "s# ds/# ${root%/}/#" >exp.files &&
  ft-cat --dataset "$root" --list-files "$@" >got.files &&
  test_cmp exp.files got.files &&
  ft-cat --dataset ds -F csv "$@" >exp.csv && ft-cat --dataset "$root" -F csv "$@" >got.csv &&
  test_cmp exp.csv got.csv
}
test_expect_success '--dataset swift://C: a range inside intervals, over a month end' '
  same_selection swift://ds1 --from 2021-01-31T23:32Z --to 2021-02-01T00:17Z &&
  test "$(wc -l <got.files)" = 8 && test "$(wc -l <got.csv)" -gt 100
'
test_expect_success '--dataset swift://C: a range over the gap and the empty day' '
  same_selection swift://ds1 --from 2021-02-01T00:12Z --to 2021-02-03T00:12Z &&
  ! grep 1612137900 got.files && grep -q "day=03" got.files
'
test_expect_success '--dataset swift://C: everything, and a range with no files' '
  same_selection swift://ds1 && test "$(wc -l <got.files)" = "$(find ds -type f | wc -l)" &&
  same_selection swift://ds1 --from 2021-02-02T00:00Z --to 2021-02-02T23:59Z &&
  test ! -s got.files
'
test_expect_success '--dataset swift://C/PREFIX (and a trailing /), --datasource' '
  same_selection swift://ds2/pre/fix --from 2021-01-31T23:32Z --to 2021-02-03T00:05Z &&
  same_selection swift://ds2/pre/fix/ --datasource demo --from 2021-02-01T00:00Z
'
test_expect_success '--dataset swift://C with --layout' '
  ft-upload -q -c flat --name "%Y/x-%s.avro" ds &&
  ft-cat --dataset swift://flat --layout "%Y/x-%s.avro" --from 2021-02-01T00:00Z --to 2021-02-01T00:40Z --count >got &&
  ft-cat --dataset ds --from 2021-02-01T00:00Z --to 2021-02-01T00:40Z --count >exp && test_cmp exp got
'
test_expect_success '--dataset swift://C: no datasource, a missing container' '
  test_must_fail ft-cat --dataset swift://rd1 --list-files 2>err &&
  test_grep "swift://rd1: no datasource=NAME directory" err &&
  test_must_fail ft-cat --dataset swift://nocont --list-files 2>err &&
  test_grep "swift://nocont/: no such container" err
'
test_expect_success 'ft-topn, ft-series and ft-filter read --dataset swift:// too' '
  R="--from 2021-01-31T23:32Z --to 2021-02-03T00:12Z" &&
  ft-topn -k src_ip --dataset swift://ds1 $R >got && ft-topn -k src_ip --dataset ds $R >exp &&
  test_cmp exp got &&
  ft-series --dataset swift://ds1 $R >got && ft-series --dataset ds $R >exp && test_cmp exp got &&
  ft-filter --count --dataset swift://ds1 $R "protocol == tcp" >got &&
  ft-filter --count --dataset ds $R "protocol == tcp" >exp && test_cmp exp got
'
test_expect_success 'Keystone v3: a whole dataset walk authenticates once' '
  ksport=$(swift_aux_start "$SW" ks1 "$keystone" --log $TRASH/ks1.log) &&
  ks ft-cat --dataset swift://ds1 --from 2021-01-31T23:32Z --to 2021-02-03T00:12Z --count >got &&
  ft-cat --dataset ds --from 2021-01-31T23:32Z --to 2021-02-03T00:12Z --count >exp &&
  test_cmp exp got && echo ok >exp && test_cmp exp ks1.log
'
test_expect_success 'Keystone v3: a refused token is renewed and the walk goes on' '
  ksport=$(swift_aux_start "$SW" ks2 "$keystone" --log $TRASH/ks2.log --bogus-first 1) &&
  ks ft-cat --dataset swift://ds1 --count >got && ft-cat --dataset ds --count >exp &&
  test_cmp exp got && printf "bogus\nok\n" >exp && test_cmp exp ks2.log
'
test_expect_success 'ft-shard over a swift:// dataset equals one process' '
  SHARD=$FT_BIN/ft-shard && { [ -x "$SHARD" ] || SHARD=$FT_TOP/scripts/ft-shard; } &&
  R="--from 2021-01-31T23:32Z --to 2021-02-03T00:12Z" &&
  "$SHARD" -N 3 -j 2 --dataset swift://ds1 $R -- ft-topn -k dst_port -n 8 >got &&
  ft-topn -k dst_port -n 8 --dataset ds $R >exp && test_cmp exp got &&
  "$SHARD" -N 2 -j 2 --dataset swift://ds2/pre/fix $R -- ft-filter "protocol == tcp" "|" ft-cat --count >got &&
  ft-filter "protocol == tcp" --dataset ds $R | ft-cat --count >exp && test_cmp exp got
'


# ---- the same over S3 (s3api in the test Swift: a container is a bucket) ----
test_expect_success 'S3: objects, a Static Large Object and a prefix read as over Swift' '
  csv_eq s3://rd1/deflate.avro one-deflate.avro && csv_eq s3://rd1/all.framed.gz all.framed &&
  csv_eq s3://rd1/big/slo.avro all-null.avro &&
  ft-cat -F csv s3://rd1/p/ >got && ft-cat -F csv swift://rd1/p/ >exp && test_cmp exp got &&
  ft-fetch -o got.avro s3://rd1/big/slo.avro && cmp got.avro all-null.avro
'
test_expect_success 'S3: ft-fetch --list and --delimiter' '
  ft-fetch -l s3://rd1/p >got &&
  printf "s3://rd1/%s\n" p/a p/b p/c/d pz >exp && test_cmp exp got &&
  ft-fetch -l -d / s3://rd1/p/ >got &&
  printf "s3://rd1/%s\n" p/a p/b p/c/ >exp && test_cmp exp got
'
test_expect_success 'S3: a missing key, a stored MD5 that does not match' '
  ft-cat -F avro -w out.avro s3://rd1/nosuch.avro 2>err; test $? -eq 1 &&
  test_grep "^ft-cat: s3://rd1/nosuch.avro: HTTP 404" err && ! ls out.avro* 2>/dev/null &&
  ft-cat s3://rd1/damaged.avro >/dev/null 2>err; test $? -eq 1 &&
  test_grep "^ft-cat: s3://rd1/damaged.avro: .*0123456789abcdef0123456789abcdef" err
'
test_expect_success 'S3: --dataset s3://BUCKET[/PREFIX] selects what the directory does' '
  same_selection s3://ds1 --from 2021-01-31T23:32Z --to 2021-02-01T00:17Z &&
  same_selection s3://ds1 --from 2021-02-01T00:12Z --to 2021-02-03T00:12Z &&
  same_selection s3://ds2/pre/fix/ --from 2021-01-31T23:32Z
'
test_expect_success 'S3: ft-shard over an s3:// dataset' '
  SHARD=$FT_BIN/ft-shard && { [ -x "$SHARD" ] || SHARD=$FT_TOP/scripts/ft-shard; } &&
  R="--from 2021-01-31T23:32Z --to 2021-02-03T00:12Z" &&
  "$SHARD" -N 3 -j 2 --dataset s3://ds1 $R -- ft-series >got &&
  ft-series --dataset ds $R >exp && test_cmp exp got
'

test_done
