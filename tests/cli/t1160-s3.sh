#!/bin/sh
# ft-upload to S3 (-c s3://BUCKET): options, credentials, and verified
# uploads to the real single-node Swift of tests/swift/lib.sh through its
# s3api middleware: download equality (checked with lib.sh's own SigV4
# client, not ours), idempotent reruns, a body damaged on the way
# (BadDigest), multipart uploads with their ETags, aborted uploads that
# leave no parts, the proxy stopped mid-run, --delete-after, refused
# credentials, secrets kept out of every output and of ps.
. "$(dirname "$0")/lib.sh"
. "$FT_TOP/tests/swift/lib.sh"

# Credentials of the environment running the tests must not leak in.
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_REGION \
  AWS_DEFAULT_REGION AWS_ENDPOINT_URL AWS_CA_BUNDLE AWS_PROFILE \
  ST_AUTH ST_USER ST_KEY OS_AUTH_URL OS_STORAGE_URL OS_AUTH_TOKEN

# ---- data: an hour of FT4 in 5-minute files --------------------------
swift_test_hour

# ---- options (no store needed: --dry-run) -------------------------------
test_expect_success '-c s3://BUCKET: names are s3:// addresses' '
  ft-upload -n -c s3://ft4-bkt --datasource demo $first >out &&
  echo "$first s3://ft4-bkt/datasource=demo/year=2021/month=01/day=31/hour=21/demo_1612130100.ft4.avro" >exp &&
  test_cmp exp out
'
test_expect_success '--as s3://BUCKET/KEY alone names the bucket and the key' '
  ft-upload -n --as s3://ft4-bkt/a/b.avro $first >out &&
  echo "$first s3://ft4-bkt/a/b.avro" >exp && test_cmp exp out &&
  ft-upload -n -c s3://ft4-bkt/ --as s3://ft4-bkt/a/b.avro $first >out &&
  test_cmp exp out
'
test_expect_success '-c swift://NAME and -c NAME stay Swift' '
  ft-upload -n -c swift://ft4 --as o $first >out &&
  ft-upload -n -c ft4 --as o $first >>out &&
  printf "%s\n" "$first ft4/o" "$first ft4/o" >exp && test_cmp exp out
'
test_expect_code 2 'a bucket name with a bad character exits 2' 'ft-upload -n -c s3://a+b --as o $first'
test_expect_code 2 'a bucket name too short exits 2' 'ft-upload -n -c s3://ab --as o $first'
test_expect_code 2 '-c s3://BUCKET/KEY exits 2' 'ft-upload -n -c s3://bkt/key --datasource d $first'
test_expect_code 2 '--as in another bucket than -c exits 2' 'ft-upload -n -c s3://bkt --as s3://other/k $first'
test_expect_code 2 '--as s3://BUCKET/ names no object: exits 2' 'ft-upload -n --as s3://bkt/ $first'

# ---- credentials (no store needed) ------------------------------------
test_expect_success 'no credentials: exit 1 and what to set' '
  ft-upload -c s3://bkt --as o $first 2>err; test $? -eq 1 &&
  test_grep "no S3 credentials in the environment: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" err
'
test_expect_success 'AWS_ACCESS_KEY_ID without AWS_SECRET_ACCESS_KEY' '
  AWS_ACCESS_KEY_ID=k test_must_fail ft-upload -c s3://bkt --as o $first 2>err &&
  test_grep "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not" err
'
test_expect_success 'an endpoint that is not http(s)' '
  AWS_ACCESS_KEY_ID=k AWS_SECRET_ACCESS_KEY=s AWS_ENDPOINT_URL=ftp://x \
    test_must_fail ft-upload -c s3://bkt --as o $first 2>err &&
  test_grep "AWS_ENDPOINT_URL: .ftp://x. is not an http:// or https:// address" err
'
test_expect_success 'unreachable endpoint: retried, then a clean failure' '
  AWS_ACCESS_KEY_ID=k AWS_SECRET_ACCESS_KEY=s AWS_ENDPOINT_URL=http://127.0.0.1:9 \
    ft-upload --retries 1 -c s3://bkt --as o $first 2>err; test $? -eq 1 &&
  test_grep "s3://bkt: .*127.0.0.1 port 9.*retry 1 of 1" err &&
  test_grep "(gave up after 2 attempts)" err
'

# ---- against a real Swift's s3api ---------------------------------------
SW=$TRASH/sw
swift_test_start "$SW"
sw_env="ST_AUTH=$ST_AUTH ST_USER=$ST_USER ST_KEY=$ST_KEY"
unset ST_AUTH ST_USER ST_KEY
relay=$FT_TOP/tests/swift/relay.py
name_of() { # FILE: its key under --datasource demo
  ft-upload -n -c x --datasource demo "$1" | sed 's/^[^ ]* x\///'
}
# all_equal BUCKET FILE...: every file downloads back byte for byte, with
# its MD5 as ETag and as x-amz-meta-ft-md5
all_equal() {
  b=$1; shift
  for f in "$@"; do
    md5=$(md5sum <"$f" | cut -c1-32)
    s3_get "$b" "$(name_of "$f")" got >tags || return 1
    cmp "$f" got || return 1
    echo "$md5 $md5" | cmp - tags || return 1
  done
}
# mp_etag SIZE FILE: the ETag S3 gives FILE uploaded in parts of SIZE
mp_etag() {
  "$PY" - "$1" "$2" <<-\PY
	import hashlib, sys
	size, data = int(sys.argv[1]), open(sys.argv[2], "rb").read()
	parts = [data[i:i + size] for i in range(0, len(data), size)]
	d = b"".join(hashlib.md5(p).digest() for p in parts)
	print("%s-%d" % (hashlib.md5(d).hexdigest(), len(parts)))
	PY
}
# no_uploads BUCKET: no multipart upload is left in BUCKET
no_uploads() {
  s3_get "$1" "" uploads.xml uploads= >/dev/null &&
    test_grep "ListMultipartUploadsResult" uploads.xml && ! grep "<Upload>" uploads.xml
}

test_expect_success 'upload a directory (-j 3) into a new bucket: verified, downloads equal' '
  ft-upload -j 3 -c s3://ft4 --datasource demo hour >out 2>err &&
  test_grep "^ft-upload: $nfiles uploaded, 0 skipped, 0 failed$" err &&
  all_equal ft4 hour/*
'
test_expect_success 'a rerun skips every file (same MD5 stored)' '
  ft-upload -v -c s3://ft4 --datasource demo hour >out 2>err &&
  test_grep "^ft-upload: 0 uploaded, $nfiles skipped, 0 failed$" err &&
  test_grep "^skipped $first s3://ft4/datasource=demo/year=2021/month=01/day=31/hour=21/demo_1612130100.ft4.avro$" out
'
test_expect_success 'a changed file goes up again' '
  ft-cat -F avro --codec null -w changed.avro $first &&
  ft-upload -v --as s3://ft4/changed $first &&
  ft-upload -v --as s3://ft4/changed changed.avro >out &&
  test_grep "^uploaded changed.avro s3://ft4/changed$" out &&
  s3_get ft4 changed got >/dev/null && cmp changed.avro got
'
test_expect_success 'keys with spaces, +, %, = and UTF-8 are signed and stored as given' '
  ft-upload -v -c s3://ft4 --as "odd/a b+c%20=d/é.avro" $first >out &&
  s3_get ft4 "odd/a b+c%20=d/é.avro" got >/dev/null && cmp $first got
'
test_expect_success 'a body damaged on the way is refused (BadDigest) and sent again' '
  port=$(swift_aux_start "$SW" relay1 "$relay" --upstream $SWIFT_PROXY_PORT --corrupt 1) &&
  AWS_ENDPOINT_URL=http://127.0.0.1:$port ft-upload -c s3://ft4 --as damaged $first 2>err &&
  test_grep "s3://ft4/damaged: HTTP 400 Bad Request: BadDigest: .*; retry 1 of 5" err &&
  test_grep "1 uploaded, 0 skipped, 0 failed" err &&
  s3_get ft4 damaged got >/dev/null && cmp $first got
'
test_expect_success 'a body damaged every time: a clean failure after --retries, file kept' '
  port=$(swift_aux_start "$SW" relay2 "$relay" --upstream $SWIFT_PROXY_PORT --corrupt 100) &&
  cp $first keep.avro &&
  AWS_ENDPOINT_URL=http://127.0.0.1:$port \
    ft-upload --retries 1 --delete-after -c s3://ft4 --as damaged2 keep.avro 2>err; test $? -eq 1 &&
  test_grep "keep.avro: s3://ft4/damaged2: HTTP 400 Bad Request (gave up after 2 attempts): BadDigest" err &&
  test_grep "0 uploaded, 0 skipped, 1 failed" err && test -f keep.avro &&
  test_must_fail s3_get ft4 damaged2 got 2>/dev/null
'
head -c 3000 /dev/urandom >mp2.bin
head -c 5000 /dev/urandom >mp3.bin
test_expect_success 'a 2-part multipart upload: each part and the result verified' '
  ft-upload -v --segment-size 2000 -c s3://mpu --as two mp2.bin >out 2>err &&
  test_grep "^uploaded mp2.bin s3://mpu/two$" out &&
  s3_get mpu two got >tags && cmp mp2.bin got &&
  echo "$(mp_etag 2000 mp2.bin) $(md5sum <mp2.bin | cut -c1-32)" >exp && test_cmp exp tags &&
  test_grep -- "-2 " tags && no_uploads mpu
'
test_expect_success 'a 3-part multipart upload, then a rerun skips it' '
  ft-upload -v --segment-size 2000 -c s3://mpu --as three mp3.bin >out 2>err &&
  s3_get mpu three got >tags && cmp mp3.bin got &&
  echo "$(mp_etag 2000 mp3.bin) $(md5sum <mp3.bin | cut -c1-32)" >exp && test_cmp exp tags &&
  test_grep -- "-3 " tags &&
  ft-upload -v --segment-size 2000 -c s3://mpu --as three mp3.bin >out &&
  ft-upload -v --segment-size 1M -c s3://mpu --as three mp3.bin >>out &&
  printf "skipped mp3.bin s3://mpu/three\n%.0s" 1 2 >exp && test_cmp exp out
'
test_expect_success 'a damaged part is refused and sent again' '
  port=$(swift_aux_start "$SW" relay3 "$relay" --upstream $SWIFT_PROXY_PORT --corrupt 1) &&
  AWS_ENDPOINT_URL=http://127.0.0.1:$port \
    ft-upload --segment-size 2000 -c s3://mpu --as damaged3 mp3.bin 2>err &&
  test_grep "s3://mpu/damaged3: part 1: HTTP 400 Bad Request: BadDigest: .*; retry 1 of 5" err &&
  s3_get mpu damaged3 got >/dev/null && cmp mp3.bin got
'
test_expect_success 'a part damaged every time: the upload is aborted, no parts stay' '
  port=$(swift_aux_start "$SW" relay4 "$relay" --upstream $SWIFT_PROXY_PORT --corrupt 100) &&
  AWS_ENDPOINT_URL=http://127.0.0.1:$port \
    ft-upload --retries 0 --segment-size 2000 -c s3://mpu --as broken mp3.bin 2>err; test $? -eq 1 &&
  test_grep "s3://mpu/broken: part 1: HTTP 400 Bad Request: BadDigest" err &&
  test_must_fail s3_get mpu broken got 2>/dev/null && no_uploads mpu
'
test_expect_success 'more than 10000 parts: refused before any upload' '
  head -c 20000 /dev/urandom >many.bin &&
  ft-upload --segment-size 1 -c s3://mpu --as many many.bin 2>err; test $? -eq 1 &&
  test_grep "many.bin: 20000 segments of 1 bytes exceed S3.s limit of 10000: use a larger segment size" err &&
  no_uploads mpu
'
test_expect_success 'parts the store finds too small: its error, and the upload aborted' '
  ft-upload --segment-size 600 -c s3://mpu --as small mp2.bin 2>err; test $? -eq 1 &&
  test_grep "s3://mpu/small: HTTP 400 Bad Request: EntityTooSmall" err &&
  test_must_fail s3_get mpu small got 2>/dev/null && no_uploads mpu
'
test_expect_success 'proxy stopped mid-run: retries, a clean failure, the file kept; then success' '
  head -c 400000 /dev/urandom >mid.bin && cp mid.bin mid.copy &&
  port=$(swift_aux_start "$SW" slow "$relay" --upstream $SWIFT_PROXY_PORT --delay 0.3) || exit 1
  (AWS_ENDPOINT_URL=http://127.0.0.1:$port \
     ft-upload --retries 2 --delete-after -c s3://ft4 --as mid mid.bin 2>err; echo $? >rc) &
  up=$! # (not $pid: swift_stop_server sets that)
  # stop the proxy once the object is on its way (the relay prints the
  # requests it passes), however long ft-upload takes to get there
  n=0 &&
  until grep -q "^PUT /ft4/mid " "$SW/log/slow.log" || [ $n -ge 600 ]; do
    sleep 0.1; n=$((n + 1))
  done &&
  sleep 0.3 && swift_stop_server "$SW" proxy && wait $up; swift_start_server "$SW" proxy &&
  test "$(cat rc)" = 1 && test_grep "mid.bin: s3://ft4/mid: .*retry 2 of 2" err &&
  test_grep "gave up after 3 attempts" err && test -f mid.bin &&
  test_must_fail s3_get ft4 mid got 2>/dev/null &&
  ft-upload --delete-after -c s3://ft4 --as mid mid.bin 2>err &&
  test_grep "1 uploaded, 0 skipped, 0 failed" err && test ! -e mid.bin &&
  s3_get ft4 mid got >/dev/null && cmp mid.copy got
'
test_expect_success '--delete-after also removes a file found already stored' '
  cp $first again.avro &&
  ft-upload -v --delete-after -c s3://ft4 --datasource demo again.avro >out &&
  test_grep "^skipped again.avro" out && test ! -e again.avro
'
test_expect_success 'a 4xx other than 408/429 is not retried' '
  ft-upload -c s3://mpu --as x --segment-size 600 mp2.bin 2>err; test $? -eq 1 &&
  ! grep retry err
'
test_expect_success 'a wrong secret: authentication failed, exit 1, no upload' '
  AWS_SECRET_ACCESS_KEY=wrong-secret ft-upload -c s3://ft4 --as x $first 2>err; test $? -eq 1 &&
  test_grep "s3://ft4: authentication failed (HTTP 403 SignatureDoesNotMatch): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" err &&
  test $(wc -l <err) -eq 1 && ! grep wrong-secret err
'
test_expect_success 'an unknown access key: authentication failed' '
  AWS_ACCESS_KEY_ID=nobody:none ft-upload -c s3://ft4 --as x $first 2>err; test $? -eq 1 &&
  test_grep "s3://ft4: authentication failed (HTTP 403 [A-Za-z]*): check AWS_ACCESS_KEY_ID" err
'
test_expect_success 'progress on a terminal' '
  port=$(swift_aux_start "$SW" slow2 "$relay" --upstream $SWIFT_PROXY_PORT --delay 0.05) &&
  head -c 400000 /dev/urandom >p.bin &&
  AWS_ENDPOINT_URL=http://127.0.0.1:$port run_in_pty tty.out \
    ft-upload -c s3://ft4 --as progress p.bin &&
  test_grep "1/1 files\|0/1 files" tty.out && test_grep "MiB/s" tty.out
'
test_expect_success 'no secret in any output or in ps' '
  secret=ft-S3cr3t-k3y-9f2 &&
  port=$(swift_aux_start "$SW" slow3 "$relay" --upstream $SWIFT_PROXY_PORT --delay 0.1) || exit 1
  head -c 400000 /dev/urandom >s.bin
  (AWS_ACCESS_KEY_ID=fttest:uploader AWS_SECRET_ACCESS_KEY=$secret AWS_ENDPOINT_URL=http://127.0.0.1:$port \
     ft-upload -v -c s3://sec --as s1 s.bin >run.out 2>run.err) &
  pid=$!
  n=0 && : >ps.out &&
  while kill -0 $pid 2>/dev/null && [ $n -lt 40 ]; do ps -eww -o args >>ps.out; sleep 0.1; n=$((n + 1)); done &&
  { wait $pid || { cat run.err; false; }; } &&
  { grep -q "ft-upload -v -c s3://sec" ps.out || { echo "ft-upload not seen in ps"; false; }; } || exit 1
  AWS_ACCESS_KEY_ID=fttest:uploader AWS_SECRET_ACCESS_KEY=wrong-$secret \
    ft-upload -c s3://sec --as s2 s.bin >>run.out 2>>run.err
  AWS_ACCESS_KEY_ID=fttest:uploader AWS_SECRET_ACCESS_KEY=$secret AWS_SESSION_TOKEN=tok-$secret \
    ft-upload -c s3://sec --as s3 s.bin >>run.out 2>>run.err
  test_grep "authentication failed (HTTP 403" run.err &&
  cat run.out run.err ps.out err* out* >all 2>/dev/null
  ! grep -F -e "$secret" all
'
test_expect_success 'Swift uploads still work beside S3 (-c swift://NAME)' '
  env $sw_env ft-upload -v -c swift://sw --as o $first >out &&
  test_grep "^uploaded $first sw/o$" out &&
  (export $sw_env && swift_get sw o got) && cmp $first got
'
test_done
