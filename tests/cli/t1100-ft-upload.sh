#!/bin/sh
# ft-upload: options, object names, credentials, and verified uploads to a
# real single-node Swift started here (tests/swift/lib.sh): download
# equality, idempotent reruns, a body damaged on the way, the object
# server down, the proxy restarted mid-run, a Static Large Object, token
# renewal and reuse (v1 TempAuth, a token given in the environment, and
# Keystone v3 through tests/swift/fake_keystone.py, a stand-in for the
# token exchange only), secrets kept out of every output and of ps.
. "$(dirname "$0")/lib.sh"
. "$FT_TOP/tests/swift/lib.sh"

# Credentials of the environment running the tests must not leak in.
unset ST_AUTH ST_USER ST_KEY OS_AUTH_URL OS_USERNAME OS_USER_ID OS_PASSWORD \
  OS_PROJECT_NAME OS_PROJECT_ID OS_USER_DOMAIN_NAME OS_USER_DOMAIN_ID \
  OS_PROJECT_DOMAIN_NAME OS_PROJECT_DOMAIN_ID OS_STORAGE_URL OS_AUTH_TOKEN \
  OS_REGION_NAME OS_INTERFACE OS_CACERT OS_IDENTITY_API_VERSION

# ---- data: an hour of FT4 in 5-minute files --------------------------
swift_test_hour

test_expect_success '--help prints usage to stdout' '
  ft-upload --help >out && test_grep "^Usage: ft-upload" out
'
test_expect_success '--version' '
  ft-upload --version >out && test_grep "^ft-upload (fttools) [0-9]" out
'
test_expect_code 2 'unknown option exits 2' 'ft-upload --bogus -c x --datasource d hour'
test_expect_success 'unknown option says how to get help' '
  test_must_fail ft-upload --bogus 2>err && test_grep "Try .ft-upload --help." err
'
test_expect_code 2 'no container exits 2' 'ft-upload --datasource d hour'
test_expect_code 2 'a container name with / exits 2' 'ft-upload -c a/b --datasource d hour'
test_expect_code 2 'no naming option exits 2' 'ft-upload -c x hour'
test_expect_code 2 '--name and --datasource exclude each other' \
  'ft-upload -c x --datasource d --name "a_%s" hour'
test_expect_code 2 '--as with two files exits 2' "ft-upload -c x --as o $first hour/demo_1612130400.ft4.avro"
test_expect_code 2 'bad --segment-size exits 2' 'ft-upload -c x --datasource d --segment-size 1x hour'
test_expect_code 2 'bad --jobs exits 2' 'ft-upload -c x --datasource d -j 0 hour'
test_expect_code 2 'bad --retries exits 2' 'ft-upload -c x --datasource d --retries -1 hour'
test_expect_code 2 'no files exits 2' 'ft-upload -c x --datasource d'

# ---- object names (no store needed: --dry-run) -------------------------
test_expect_success 'default name: the STARDUST layout' '
  ft-upload -n -c ft4 --datasource demo $first >out &&
  echo "$first ft4/datasource=demo/year=2021/month=01/day=31/hour=21/demo_1612130100.ft4.avro" >exp &&
  test_cmp exp out
'
test_expect_success 'the time comes from the records, not the file name' '
  cp hour/demo_1612133400.ft4.avro misleading_1500000000.avro &&
  ft-upload -n -c ft4 --datasource x misleading_1500000000.avro >out &&
  echo "misleading_1500000000.avro ft4/datasource=x/year=2021/month=01/day=31/hour=22/x_1612133400.ft4.avro" >exp &&
  test_cmp exp out
'
test_expect_success '--name TEMPLATE; gzip and framed inputs' '
  gzip -c $first >f.avro.gz && ft-cat -F framed hour/demo_1612130400.ft4.avro >f.fr &&
  ft-upload -n -c c --name "%Y%m%d/%H%M-%s.x" f.avro.gz f.fr >out &&
  printf "%s\n" "f.avro.gz c/20210131/2155-1612130100.x" "f.fr c/20210131/2200-1612130400.x" >exp &&
  test_cmp exp out
'
test_expect_success 'two files for one object name: the second is refused, exit 1' '
  ft-upload -n -c c --name "%Y" f.avro.gz f.fr >out 2>err; test $? -eq 1 &&
  echo "f.avro.gz c/2021" >exp && test_cmp exp out &&
  test_grep "f.fr: same object name as f.avro.gz (2021): not uploaded" err
'
test_expect_success 'a directory, recursively, in name order, without temporaries' '
  mkdir -p tree/a/b && cp hour/demo_16121301* tree/a/ && cp hour/demo_1612130400.ft4.avro tree/a/b/ &&
  cp $first tree/a/x.ft4.avro.tmp.AbC123 && cp $first tree/.hidden &&
  ft-upload -n -c c --name "%s" tree >out &&
  printf "%s\n" "tree/a/b/demo_1612130400.ft4.avro c/1612130400" "tree/a/demo_1612130100.ft4.avro c/1612130100" >exp &&
  test_cmp exp out
'
test_expect_success '--files-from - and --as' '
  printf "%s\n" $first >list &&
  ft-upload -n -c c --as fixed/name.avro --files-from - <list >out &&
  echo "$first c/fixed/name.avro" >exp && test_cmp exp out
'
test_expect_success 'a file that is not FT4 cannot be named: exit 1, others listed' '
  echo hello >notft4.txt &&
  ft-upload -n -c c --datasource d notft4.txt $first >out 2>err; test $? -eq 1 &&
  test_grep "notft4.txt: not FT4 data" err && test_grep "demo_1612130100" out
'
test_expect_success 'an FT4 file without records: no time to name it by' '
  ft-cat -n 0 -F avro -w empty.avro $first &&
  test_must_fail ft-upload -n -c c --datasource d empty.avro 2>err &&
  test_grep "empty.avro: no records" err
'

# ---- credentials (no store needed) ------------------------------------
test_expect_success 'no credentials: exit 1 and what to set' '
  ft-upload -c c --as o $first 2>err; test $? -eq 1 &&
  test_grep "no Swift credentials in the environment: set ST_AUTH, ST_USER and ST_KEY" err
'
test_expect_success 'ST_AUTH without ST_KEY' '
  ST_AUTH=http://127.0.0.1:9/auth/v1.0 ST_USER=u test_must_fail ft-upload -c c --as o $first 2>err &&
  test_grep "ST_AUTH is set but ST_KEY is not" err
'
ks_env='OS_AUTH_URL=http://127.0.0.1:9/v3 OS_USERNAME=kuser OS_PASSWORD=ks-Pa55w0rd-x1 OS_PROJECT_NAME=test OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default'
test_expect_success 'Keystone: OS_PASSWORD absent' '
  env $ks_env OS_PASSWORD= ft-upload -c c --as o $first 2>err; test $? -eq 1 &&
  test_grep "OS_AUTH_URL is set but OS_PASSWORD is not" err
'
test_expect_success 'Keystone: OS_USER_DOMAIN_NAME absent' '
  env $ks_env OS_USER_DOMAIN_NAME= ft-upload -c c --as o $first 2>err; test $? -eq 1 &&
  test_grep "OS_USERNAME is set but OS_USER_DOMAIN_NAME is not" err
'
test_expect_success 'Keystone: OS_PROJECT_DOMAIN_NAME absent' '
  env $ks_env OS_PROJECT_DOMAIN_NAME= ft-upload -c c --as o $first 2>err; test $? -eq 1 &&
  test_grep "OS_PROJECT_NAME is set but OS_PROJECT_DOMAIN_NAME is not" err
'
test_expect_success 'Keystone: OS_USERNAME without OS_AUTH_URL' '
  env $ks_env OS_AUTH_URL= ft-upload -c c --as o $first 2>err; test $? -eq 1 &&
  test_grep "OS_USERNAME is set but OS_AUTH_URL is not" err
'
test_expect_success 'Keystone: a v2.0 URL is refused' '
  env $ks_env OS_AUTH_URL=http://127.0.0.1:9/v2.0 ft-upload -c c --as o $first 2>err; test $? -eq 1 &&
  test_grep "OS_AUTH_URL names Keystone v2.0" err
'
test_expect_success 'Keystone: unreachable OS_AUTH_URL, retried, then a clean failure' '
  env $ks_env ft-upload --retries 1 -c c --as o $first 2>err; test $? -eq 1 &&
  test_grep "OS_AUTH_URL: .*127.0.0.1 port 9.*retry 1 of 1" err &&
  test_grep "OS_AUTH_URL: .*(gave up after 2 attempts)" err
'
test_expect_success 'OS_AUTH_TOKEN without OS_STORAGE_URL' '
  OS_AUTH_TOKEN=t test_must_fail ft-upload -c c --as o $first 2>err &&
  test_grep "OS_AUTH_TOKEN is set but OS_STORAGE_URL is not" err
'
test_expect_success '--cacert that cannot be read' '
  OS_STORAGE_URL=https://127.0.0.1:9/v1/A OS_AUTH_TOKEN=t test_must_fail ft-upload --cacert nosuch.pem -c c --as o $first 2>err &&
  test_grep "nosuch.pem: No such file" err
'
test_expect_success 'TLS is verified: a plain-HTTP server spoken to over https fails, not retried forever' '
  OS_STORAGE_URL=https://127.0.0.1:9/v1/A OS_AUTH_TOKEN=t ft-upload --retries 0 -c c --as o $first 2>err; test $? -eq 1
'

# ---- against a real Swift ---------------------------------------------
SW=$TRASH/sw
swift_test_start "$SW"
relay=$FT_TOP/tests/swift/relay.py
keystone=$FT_TOP/tests/swift/fake_keystone.py
token() {
  curl -s -D - -o /dev/null -H "X-Auth-User: $ST_USER" -H "X-Auth-Key: $ST_KEY" "$ST_AUTH" |
    tr -d '\r' | sed -n 's/^[Xx]-[Aa]uth-[Tt]oken: //p'
}
name_of() { # FILE: its object name under --datasource demo
  ft-upload -n -c x --datasource demo "$1" | sed 's/^[^ ]* x\///'
}
# all_equal CONTAINER FILE...: every file downloads back byte for byte
all_equal() {
  c=$1; shift
  for f in "$@"; do
    swift_get "$c" "$(name_of "$f")" got || return 1
    cmp "$f" got || return 1
  done
}

test_expect_success 'upload a directory (-j 3): verified, downloads equal' '
  ft-upload -j 3 -c ft4 --datasource demo hour >out 2>err &&
  test_grep "^ft-upload: $nfiles uploaded, 0 skipped, 0 failed$" err &&
  all_equal ft4 hour/*
'
test_expect_success 'a rerun skips every file (same MD5 stored)' '
  ft-upload -v -c ft4 --datasource demo hour >out 2>err &&
  test_grep "^ft-upload: 0 uploaded, $nfiles skipped, 0 failed$" err &&
  test_grep "^skipped $first ft4/datasource=demo/year=2021/month=01/day=31/hour=21/demo_1612130100.ft4.avro$" out
'
test_expect_success 'a changed file goes up again' '
  ft-cat -F avro --codec null -w changed.avro $first &&
  ft-upload -v -c ft4 --as changed $first &&
  ft-upload -v -c ft4 --as changed changed.avro >out &&
  test_grep "^uploaded changed.avro ft4/changed$" out &&
  swift_get ft4 changed got && cmp changed.avro got
'
test_expect_success 'a body damaged on the way is refused by Swift (422) and sent again' '
  port=$(swift_aux_start "$SW" relay1 "$relay" --upstream $SWIFT_PROXY_PORT --corrupt 1) &&
  OS_STORAGE_URL=http://127.0.0.1:$port/v1/AUTH_test OS_AUTH_TOKEN=$(token) \
    ft-upload -c ft4 --as damaged $first 2>err &&
  test_grep "ft4/damaged: HTTP 422 Unprocessable Entity; retry 1 of 5" err &&
  test_grep "1 uploaded, 0 skipped, 0 failed" err &&
  swift_get ft4 damaged got && cmp $first got
'
test_expect_success 'a body damaged every time: a clean failure after --retries' '
  port=$(swift_aux_start "$SW" relay2 "$relay" --upstream $SWIFT_PROXY_PORT --corrupt 100) &&
  cp $first keep.avro &&
  OS_STORAGE_URL=http://127.0.0.1:$port/v1/AUTH_test OS_AUTH_TOKEN=$(token) \
    ft-upload --retries 1 --delete-after -c ft4 --as damaged2 keep.avro 2>err; test $? -eq 1 &&
  test_grep "keep.avro: ft4/damaged2: HTTP 422 Unprocessable Entity (gave up after 2 attempts)" err &&
  test_grep "0 uploaded, 0 skipped, 1 failed" err && test -f keep.avro &&
  test_must_fail swift_get ft4 damaged2 got
'
test_expect_success 'object server down: retries, a clean failure, the file kept; then success' '
  cp $first od.avro && cp od.avro od.copy &&
  swift_stop_server "$SW" object &&
  ft-upload --retries 2 --delete-after -c ft4 --as objdown od.avro 2>err; rc=$?;
  swift_start_server "$SW" object && test $rc -eq 1 &&
  test_grep "od.avro: ft4/objdown: HTTP 503 Service Unavailable; retry 2 of 2" err &&
  test_grep "gave up after 3 attempts" err && test -f od.avro &&
  ft-upload --delete-after -c ft4 --as objdown od.avro 2>err &&
  test_grep "1 uploaded, 0 skipped, 0 failed" err && test ! -e od.avro &&
  swift_get ft4 objdown got && cmp od.copy got
'
# Files for the runs below (not FT4: each is named with --as).
mkdir -p pr && i=0 && while [ $i -lt 6 ]; do head -c 400000 /dev/urandom >pr/f$i; i=$((i + 1)); done
test_expect_success 'proxy restarted mid-run: every file still arrives verified' '
  port=$(swift_aux_start "$SW" slow "$relay" --upstream $SWIFT_PROXY_PORT --delay 0.3) &&
  export OS_STORAGE_URL=http://127.0.0.1:$port/v1/AUTH_test &&
  pids= &&
  for i in 0 1 2 3 4 5; do
    (ft-upload --retries 8 -c restart --as f$i pr/f$i 2>err$i; echo $? >rc$i) &
    pids="$pids $!"
  done &&
  sleep 0.7 && swift_stop_server "$SW" proxy && sleep 1.5 && swift_start_server "$SW" proxy &&
  for p in $pids; do wait $p; done &&
  for i in 0 1 2 3 4 5; do
    test "$(cat rc$i)" = 0 || { cat err$i; exit 1; }
    swift_get restart f$i got && cmp pr/f$i got || exit 1
  done &&
  cat err? | test_grep "retry 1 of 8"
'
test_expect_success 'a 2-segment Static Large Object, each segment verified' '
  head -c 3000000 /dev/urandom >slo.bin &&
  ft-upload -v --segment-size 2M -c ft4 --as big/slo slo.bin >out 2>err &&
  test_grep "^uploaded slo.bin ft4/big/slo$" out &&
  curl -s -H "X-Auth-Token: $(token)" "http://127.0.0.1:$SWIFT_PROXY_PORT/v1/AUTH_test/ft4_segments?prefix=big/slo/" >segs &&
  test $(wc -l <segs) -eq 2 &&
  curl -s -I -H "X-Auth-Token: $(token)" "http://127.0.0.1:$SWIFT_PROXY_PORT/v1/AUTH_test/ft4/big/slo" | tr -d "\r" >head &&
  test_grep -i "^x-static-large-object: true" head &&
  test_grep -i "^x-object-meta-ft-md5: $(md5sum <slo.bin | cut -c1-32)" head &&
  swift_get ft4 big/slo got && cmp slo.bin got &&
  ft-upload -v --segment-size 2M -c ft4 --as big/slo slo.bin >out &&
  test_grep "^skipped slo.bin" out
'
test_expect_success 'a 4xx other than 401/408/429 is not retried' '
  OS_STORAGE_URL=http://127.0.0.1:$SWIFT_PROXY_PORT/v1/AUTH_other \
    ft-upload -c ft4 --as x $first 2>err; test $? -eq 1 &&
  test_grep "HTTP 403 Forbidden" err && ! grep retry err
'
test_expect_success 'a wrong ST_KEY: authentication failed, exit 1' '
  ST_KEY=wrong ft-upload -c ft4 --as x $first 2>err; test $? -eq 1 &&
  test_grep "ST_AUTH: authentication failed (HTTP 401): check ST_USER and ST_KEY" err
'
test_expect_success 'an OS_AUTH_TOKEN Swift refuses: exit 1, no renewal possible' '
  OS_STORAGE_URL=http://127.0.0.1:$SWIFT_PROXY_PORT/v1/AUTH_test OS_AUTH_TOKEN=AUTH_tkbogus \
    ft-upload -c ft4 --as x $first 2>err; test $? -eq 1 &&
  test_grep "OS_AUTH_TOKEN: the token was refused (HTTP 401) and cannot be renewed" err
'

# Keystone v3 against the stand-in for its token exchange.
export FAKE_KS_PASSWORD=ks-Pa55w0rd-x1
ks() { # LOG ARGS...: ft-upload with Keystone variables for the stand-in at $ksport
  env -u ST_AUTH OS_AUTH_URL=http://127.0.0.1:$ksport/v3 OS_USERNAME=kuser \
    OS_PASSWORD=$FAKE_KS_PASSWORD OS_PROJECT_NAME=test OS_USER_DOMAIN_NAME=Default \
    OS_PROJECT_DOMAIN_NAME=Default ft-upload "$@"
}
test_expect_success 'Keystone v3: one token for a whole -j 3 run' '
  ksport=$(swift_aux_start "$SW" ks1 "$keystone" --log $TRASH/ks1.log) &&
  ks -j 3 -c ks --datasource demo hour 2>err &&
  test_grep "$nfiles uploaded, 0 skipped, 0 failed" err &&
  echo ok >exp && test_cmp exp ks1.log && all_equal ks hour/*
'
test_expect_success 'Keystone v3: a refused token (401) is renewed once and the run goes on' '
  ksport=$(swift_aux_start "$SW" ks2 "$keystone" --log $TRASH/ks2.log --bogus-first 1) &&
  ks -c ks2 --as renewed $first 2>err &&
  printf "bogus\nok\n" >exp && test_cmp exp ks2.log &&
  swift_get ks2 renewed got && cmp $first got
'
test_expect_success 'Keystone v3: a token about to expire is renewed before use' '
  ksport=$(swift_aux_start "$SW" ks3 "$keystone" --log $TRASH/ks3.log --expires 30) &&
  ks -c ks3 --datasource demo hour/demo_16121301* hour/demo_16121304* 2>err &&
  test $(grep -c ok ks3.log) -ge 3
'
test_expect_success 'Keystone v3: a wrong password is a clear error' '
  ksport=$(swift_aux_start "$SW" ks4 "$keystone" --log $TRASH/ks4.log) &&
  ks -c ks --as x $first 2>/dev/null &&
  FAKE_KS_PASSWORD=wrong-one ks -c ks --as x $first 2>err; test $? -eq 1 &&
  test_grep "OS_AUTH_URL: authentication failed (HTTP 401): check OS_USERNAME, OS_PASSWORD" err
'
test_expect_success 'Keystone v3: OS_REGION_NAME picks the endpoint; an unknown one is an error' '
  ksport=$(swift_aux_start "$SW" ks5 "$keystone" --log $TRASH/ks5.log) &&
  OS_REGION_NAME=RegionOne ks -c ks5 --as r1 $first 2>err &&
  OS_REGION_NAME=Nowhere ks -c ks5 --as r2 $first 2>err; test $? -eq 1 &&
  test_grep "no object-store endpoint with interface public in region Nowhere" err
'
test_expect_success 'progress on a terminal' '
  port=$(swift_aux_start "$SW" slow2 "$relay" --upstream $SWIFT_PROXY_PORT --delay 0.05) &&
  OS_STORAGE_URL=http://127.0.0.1:$port/v1/AUTH_test run_in_pty tty.out \
    ft-upload -c ft4 --as progress pr/f0 &&
  test_grep "1/1 files\|0/1 files" tty.out && test_grep "MiB/s" tty.out
'
test_expect_success 'no key, password or token in any output or in ps' '
  secret=ft-S3cr3t-k3y-9f2 &&
  ksport=$(swift_aux_start "$SW" ks6 "$keystone" --log $TRASH/ks6.log) &&
  port=$(swift_aux_start "$SW" slow3 "$relay" --upstream $SWIFT_PROXY_PORT --delay 0.1) || exit 1
  (ST_USER=fttest:uploader ST_KEY=$secret OS_STORAGE_URL=http://127.0.0.1:$port/v1/AUTH_fttest \
     ft-upload -v -c sec --as s1 pr/f1 >run.out 2>run.err) &
  pid=$!
  n=0 && : >ps.out &&
  while kill -0 $pid 2>/dev/null && [ $n -lt 40 ]; do ps -eww -o args >>ps.out; sleep 0.1; n=$((n + 1)); done &&
  { wait $pid || { cat run.err; false; }; } &&
  { grep -q "ft-upload -v -c sec" ps.out || { echo "ft-upload not seen in ps"; false; }; } || exit 1
  ST_USER=fttest:uploader ST_KEY=wrong-$secret ft-upload -c sec --as s2 pr/f1 >>run.out 2>>run.err
  ST_USER=fttest:uploader ST_KEY=$secret ft-upload -c sec --as s2 pr/f1 >>run.out 2>>run.err &&
  FAKE_KS_PASSWORD=$secret ks -c sec --as s3 pr/f1 >>run.out 2>>run.err
  test_grep "authentication failed (HTTP 401)" run.err &&
  cat run.out run.err ps.out err* out* ks*.log >all 2>/dev/null
  ! grep -F -e "$secret" -e "$FAKE_KS_PASSWORD" all && ! grep -i "AUTH_tk" all
'
test_done
