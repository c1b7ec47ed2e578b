# tests/swift/lib.sh - a real single-node OpenStack Swift for the tests
# and benchmarks, sourced by sh scripts (tests/swift/start.sh, stop.sh,
# tests/cli/t1100-ft-upload.sh, bench/upload_bench.sh).
#
#   swift_available               0 when Debian's python3-swift and
#                                 memcached are installed
#   swift_start DIR               starts memcached, a log sink, the account,
#                                 container, object and proxy servers
#                                 (TempAuth, user test:tester, key testing;
#                                 rings with one replica on DIR/srv), every
#                                 one bound to 127.0.0.1 on a free port, all
#                                 state under DIR; writes DIR/env (sh
#                                 exports: ST_AUTH ST_USER ST_KEY,
#                                 SWIFT_PROXY_PORT ..., and for the s3api
#                                 middleware AWS_ENDPOINT_URL,
#                                 AWS_ACCESS_KEY_ID=test:tester,
#                                 AWS_SECRET_ACCESS_KEY=testing,
#                                 AWS_REGION=us-east-1) and sources it
#   swift_stop_server DIR NAME    stops one of them (proxy, object, ...)
#   swift_start_server DIR NAME   starts it again on the same port
#   swift_aux_start DIR NAME SCRIPT ARGS...
#                                 runs a helper (tests/swift/relay.py,
#                                 fake_keystone.py) with --port-file and
#                                 prints the port it listens on
#   swift_get CONTAINER OBJECT FILE
#                                 downloads an object of test:tester's
#                                 account with curl, fails unless HTTP 200
#   s3_get BUCKET KEY FILE [QUERY]
#                                 downloads an object over S3 (its own
#                                 SigV4 signing in Python, independent of
#                                 ft-upload's libcurl), fails unless HTTP
#                                 200; prints the ETag and the
#                                 x-amz-meta-ft-md5 header on stdout.
#                                 KEY "" and a QUERY in canonical form
#                                 (e.g. uploads=) ask the bucket
#   swift_test_start DIR          for tests/cli scripts (after lib.sh
#                                 there): ends the script with a TAP skip
#                                 when Swift is not installed, else starts
#                                 it in DIR, stopped when the script exits;
#                                 a failure to start fails the script
#   swift_test_hour               for tests/cli scripts: an hour of FT4 in
#                                 5-minute files in ./hour (telescope-gen
#                                 --seed 5), the first in $first, how many
#                                 in $nfiles; a failure ends the script
#   swift_stop DIR                stops exactly the processes started
#                                 through this file (by the pids it
#                                 recorded, checked against their command
#                                 lines) and removes DIR
#
# Facts this relies on: Debian 12's python3-swift 2.30 runs the servers
# from its modules (no swift-* scripts needed); /usr/bin/python3, not the
# first python3 on PATH, sees Debian's modules; Swift reads
# /etc/swift/swift.conf by a hard-coded path, so swift_start writes a
# minimal one there when there is none (and leaves it: other Swift users
# of the machine may share it); memcached refuses to run as root without
# -u; "workers = 0" keeps one process per server; the proxy's
# error_suppression_interval = 0 stops it answering 503 for a minute after
# a backend comes back; logs go to a unix socket in DIR (otherwise Swift
# sends them over UDP from 0.0.0.0); s3api (before tempauth) takes the
# TempAuth user "account:user" as access key and its key as secret, needs
# x-amz-content-sha256 on every request, and refuses multipart parts
# under min_segment_size (5 MiB by default, 1 KiB here so that small
# files make multipart uploads).

SWIFT_PY=/usr/bin/python3
SWIFT_CONF=/etc/swift/swift.conf

swift_available() {
  [ -x "$SWIFT_PY" ] && command -v memcached >/dev/null 2>&1 &&
    "$SWIFT_PY" -c 'import swift.common.wsgi, swift.common.ring' 2>/dev/null
}

# _swift_free_ports N: N distinct free TCP ports on 127.0.0.1
_swift_free_ports() {
  "$SWIFT_PY" - "$1" <<-\PY
	import socket, sys
	socks = []
	for _ in range(int(sys.argv[1])):
	    s = socket.socket()
	    s.bind(("127.0.0.1", 0))
	    socks.append(s)
	print(" ".join(str(s.getsockname()[1]) for s in socks))
	PY
}

# _swift_defaults DIR NAME PORT: the [DEFAULT] lines every server shares
_swift_defaults() {
  cat <<-EOF
	[DEFAULT]
	bind_ip = 127.0.0.1
	bind_port = $3
	workers = 0
	user = $(id -un)
	swift_dir = $1/etc
	log_address = $1/run/log.sock
	log_name = $2-server
	EOF
}

_swift_write_confs() { # DIR
  d=$1
  mkdir -p "$d/etc" "$d/srv/d0" "$d/run" "$d/log" || return 1
  if [ ! -e "$SWIFT_CONF" ]; then
    mkdir -p "${SWIFT_CONF%/*}" &&
    cat >"$SWIFT_CONF" <<-EOF || return 1
	# Written by fttools' tests/swift/lib.sh because none existed: Swift
	# reads this path whatever its other configuration says.
	[swift-hash]
	swift_hash_path_suffix = fttools-test
	swift_hash_path_prefix = fttools-test

	[storage-policy:0]
	name = Policy-0
	default = yes
	EOF
    echo "swift: created $SWIFT_CONF (kept for later runs)" >&2
  fi
  for kind in account container object; do
    eval port=\$SWIFT_${kind}_port
    { _swift_defaults "$d" $kind $port && cat <<-EOF; } >"$d/etc/$kind-server.conf" || return 1
	devices = $d/srv
	mount_check = false
	fallocate_reserve = 0

	[pipeline:main]
	pipeline = $kind-server

	[app:$kind-server]
	use = egg:swift#$kind
	EOF
  done
  { _swift_defaults "$d" proxy $SWIFT_proxy_port && cat <<-EOF; } >"$d/etc/proxy-server.conf" || return 1

	[pipeline:main]
	pipeline = catch_errors gatekeeper healthcheck cache listing_formats s3api tempauth copy slo dlo proxy-server

	[app:proxy-server]
	use = egg:swift#proxy
	account_autocreate = true
	error_suppression_interval = 0
	conn_timeout = 2
	node_timeout = 10

	[filter:tempauth]
	use = egg:swift#tempauth
	user_test_tester = testing .admin
	user_fttest_uploader = ft-S3cr3t-k3y-9f2 .admin

	[filter:s3api]
	use = egg:swift#s3api
	min_segment_size = 1024

	[filter:cache]
	use = egg:swift#memcache
	memcache_servers = 127.0.0.1:$SWIFT_memcached_port

	EOF
  for f in catch_errors gatekeeper healthcheck listing_formats copy slo dlo; do
    printf '\n[filter:%s]\nuse = egg:swift#%s\n' $f $f >>"$d/etc/proxy-server.conf"
  done
  # Rings: one device, one replica, a handful of partitions.
  "$SWIFT_PY" - "$d" "$SWIFT_account_port" "$SWIFT_container_port" \
      "$SWIFT_object_port" <<-\PY
	import sys
	from swift.common.ring import RingBuilder
	d = sys.argv[1]
	for kind, port in zip(("account", "container", "object"), sys.argv[2:]):
	    b = RingBuilder(4, 1, 0)
	    b.add_dev({"id": 0, "region": 1, "zone": 1, "ip": "127.0.0.1",
	               "port": int(port), "device": "d0", "weight": 100})
	    b.rebalance()
	    b.get_ring().save("%s/etc/%s.ring.gz" % (d, kind))
	PY
}

# _swift_spawn DIR NAME: starts one process in the background and records
# "PID" in DIR/run/NAME.pid
_swift_spawn() {
  d=$1
  name=$2
  case $name in
  memcached)
    u=""
    [ "$(id -u)" = 0 ] && u="-u nobody"
    # shellcheck disable=SC2086
    memcached $u -l 127.0.0.1 -p "$SWIFT_memcached_port" -U 0 -m 16 \
      >"$d/log/memcached.log" 2>&1 &
    ;;
  logsink)
    "$SWIFT_PY" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536) + b"\n")
' "$d/run/log.sock" "$d/log/swift.log" >"$d/log/logsink.log" 2>&1 &
    ;;
  proxy|account|container|object)
    "$SWIFT_PY" -c '
import sys
from swift.common.wsgi import run_wsgi
sys.exit(run_wsgi(sys.argv[1], sys.argv[2] + "-server"))
' "$d/etc/$name-server.conf" "$name" >"$d/log/$name.log" 2>&1 &
    ;;
  *) echo "swift: unknown server $name" >&2; return 1 ;;
  esac
  echo $! >"$d/run/$name.pid"
}

# _swift_ours DIR NAME PID: PID is still the process we started for NAME
# (guards against a recycled pid)
_swift_ours() {
  [ -r "/proc/$3/cmdline" ] || return 1
  cmd=$(tr '\0' ' ' <"/proc/$3/cmdline")
  case $2 in
  memcached) case $cmd in *memcached*"-p $SWIFT_memcached_port"*) return 0 ;; esac ;;
  logsink) case $cmd in *"$1/run/log.sock"*) return 0 ;; esac ;;
  proxy|account|container|object)
    case $cmd in *"$1/etc/$2-server.conf"*) return 0 ;; esac ;;
  *) case $cmd in *"$1/run/$2.port"*) return 0 ;; esac ;;
  esac
  return 1
}

_swift_alive() { # PID (a zombie is not alive)
  [ -r "/proc/$1/stat" ] || return 1
  st=$(sed 's/^.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null)
  [ -n "$st" ] && [ "$st" != Z ]
}

# _swift_wait_port PORT SECONDS: until something answers HTTP on PORT
_swift_wait_port() {
  n=0
  while [ $n -lt $(($2 * 10)) ]; do
    code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$1/" 2>/dev/null)
    [ -n "$code" ] && [ "$code" != 000 ] && return 0
    sleep 0.1
    n=$((n + 1))
  done
  return 1
}

swift_start_server() { # DIR NAME
  _swift_spawn "$1" "$2" || return 1
  case $2 in
  memcached|logsink) sleep 0.2 ;;
  *)
    eval port=\$SWIFT_${2}_port
    if ! _swift_wait_port "$port" 30; then
      echo "swift: $2 server did not start; its log:" >&2
      tail -n 20 "$1/log/$2.log" >&2
      return 1
    fi
    ;;
  esac
  pid=$(cat "$1/run/$2.pid")
  _swift_alive "$pid" || { echo "swift: $2 exited:" >&2; tail -n 20 "$1/log/$2.log" >&2; return 1; }
}

swift_stop_server() { # DIR NAME
  f="$1/run/$2.pid"
  [ -r "$f" ] || return 0
  pid=$(cat "$f")
  if _swift_ours "$1" "$2" "$pid" && _swift_alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null
    n=0
    while _swift_alive "$pid" && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
    _swift_alive "$pid" && _swift_ours "$1" "$2" "$pid" && kill -KILL "$pid" 2>/dev/null
  fi
  # reap it when it is our child (harmless otherwise)
  wait "$pid" 2>/dev/null
  rm -f "$f"
  return 0
}

swift_aux_start() { # DIR NAME SCRIPT ARGS...
  d=$1
  name=$2
  script=$3
  shift 3
  rm -f "$d/run/$name.port"
  "$SWIFT_PY" "$script" --port-file "$d/run/$name.port" "$@" \
    >"$d/log/$name.log" 2>&1 &
  echo $! >"$d/run/$name.pid"
  n=0
  while [ ! -s "$d/run/$name.port" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
  [ -s "$d/run/$name.port" ] || { echo "swift: $name did not start:" >&2; cat "$d/log/$name.log" >&2; return 1; }
  cat "$d/run/$name.port"
}

swift_get() { # CONTAINER OBJECT FILE (account AUTH_test)
  tok=$(curl -s -D - -o /dev/null -H "X-Auth-User: test:tester" -H "X-Auth-Key: testing" \
        "$ST_AUTH" | tr -d '\r' | sed -n 's/^[Xx]-[Aa]uth-[Tt]oken: //p')
  code=$(curl -s -o "$3" -w '%{http_code}' -H "X-Auth-Token: $tok" \
         "http://127.0.0.1:$SWIFT_PROXY_PORT/v1/AUTH_test/$1/$2")
  [ "$code" = 200 ] || { echo "swift_get $1/$2: HTTP $code" >&2; return 1; }
}

s3_get() { # BUCKET KEY FILE [QUERY] (AWS_* of the environment)
  "$SWIFT_PY" - "$1" "$2" "$3" "${4-}" <<-\PY
	import datetime, hashlib, hmac, os, sys, urllib.parse, urllib.request
	bucket, key, out, query = sys.argv[1:5]
	ep = os.environ["AWS_ENDPOINT_URL"].rstrip("/")
	region = os.environ.get("AWS_REGION", "us-east-1")
	kid, secret = os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]
	u = urllib.parse.urlsplit(ep)
	path = u.path + "/" + urllib.parse.quote(bucket + ("/" + key if key else ""),
	                                         safe="/-_.~")
	now = datetime.datetime.utcnow()
	amzdate, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
	hdrs = {"host": u.netloc, "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
	        "x-amz-date": amzdate}
	signed = ";".join(sorted(hdrs))
	canon = "\n".join(["GET", path, query] +
	                  ["%s:%s" % (k, hdrs[k]) for k in sorted(hdrs)] +
	                  ["", signed, "UNSIGNED-PAYLOAD"])
	scope = "%s/%s/s3/aws4_request" % (day, region)
	sts = "\n".join(["AWS4-HMAC-SHA256", amzdate, scope,
	                 hashlib.sha256(canon.encode()).hexdigest()])
	k = ("AWS4" + secret).encode()
	for part in (day, region, "s3", "aws4_request"):
	    k = hmac.new(k, part.encode(), hashlib.sha256).digest()
	sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
	hdrs["authorization"] = ("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, "
	                         "Signature=%s" % (kid, scope, signed, sig))
	del hdrs["host"]
	try:
	    r = urllib.request.urlopen(urllib.request.Request(
	        ep[:len(ep) - len(u.path)] + path + ("?" + query if query else ""),
	        headers=hdrs))
	except urllib.error.HTTPError as e:
	    sys.exit("s3_get %s/%s: HTTP %d" % (bucket, key, e.code))
	with open(out, "wb") as f:
	    f.write(r.read())
	print(r.headers.get("ETag", "").strip('"'), r.headers.get("x-amz-meta-ft-md5", ""))
	PY
}

swift_test_start() { # DIR
  if ! swift_available; then
    test_count=$((test_count + 1))
    echo "ok $test_count # SKIP python3-swift or memcached not installed (make deps)"
    test_done
    exit
  fi
  _swift_test_dir=$1
  trap 'swift_stop "$_swift_test_dir"; cd /; rm -rf "$TRASH"' EXIT
  trap 'exit 1' INT TERM
  if ! swift_start "$1" 2>"$1.start.err"; then
    cat "$1.start.err"
    echo "not ok - swift did not start"
    exit 1
  fi
}

swift_test_hour() {
  telescope-gen --packets 6000 --seed 5 -w cap.pcap &&
    mkdir hour && ft-aggregate --quiet -r cap.pcap -w 'hour/demo_%s.ft4.avro' ||
    { echo "Bail out! no test data"; exit 1; }
  first=hour/demo_1612130100.ft4.avro
  [ -f "$first" ] || { echo "Bail out! no $first"; ls hour; exit 1; }
  nfiles=$(ls hour | wc -l)
}

swift_start() { # DIR
  d=$1
  mkdir -p "$d" || return 1
  set -- $(_swift_free_ports 5)
  SWIFT_proxy_port=$1 SWIFT_account_port=$2 SWIFT_container_port=$3
  SWIFT_object_port=$4 SWIFT_memcached_port=$5
  _swift_write_confs "$d" || return 1
  cat >"$d/env" <<-EOF
	SWIFT_proxy_port=$SWIFT_proxy_port
	SWIFT_account_port=$SWIFT_account_port
	SWIFT_container_port=$SWIFT_container_port
	SWIFT_object_port=$SWIFT_object_port
	SWIFT_memcached_port=$SWIFT_memcached_port
	SWIFT_PROXY_PORT=$SWIFT_proxy_port
	SWIFT_DIR=$d
	ST_AUTH=http://127.0.0.1:$SWIFT_proxy_port/auth/v1.0
	ST_USER=test:tester
	ST_KEY=testing
	AWS_ENDPOINT_URL=http://127.0.0.1:$SWIFT_proxy_port
	AWS_ACCESS_KEY_ID=test:tester
	AWS_SECRET_ACCESS_KEY=testing
	AWS_REGION=us-east-1
	export ST_AUTH ST_USER ST_KEY SWIFT_PROXY_PORT SWIFT_DIR
	export AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION
	EOF
  . "$d/env"
  for s in logsink memcached account container object proxy; do
    swift_start_server "$d" "$s" || { swift_stop "$d"; return 1; }
  done
  # The account is created on first use; wait until TempAuth answers.
  n=0
  while [ $n -lt 100 ]; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Auth-User: $ST_USER" \
           -H "X-Auth-Key: $ST_KEY" "$ST_AUTH")
    [ "$code" = 200 ] && return 0
    sleep 0.1
    n=$((n + 1))
  done
  echo "swift: the proxy does not authenticate (HTTP $code)" >&2
  swift_stop "$d"
  return 1
}

swift_stop() { # DIR
  d=$1
  [ -d "$d" ] || return 0
  [ -r "$d/env" ] && . "$d/env"
  for f in "$d"/run/*.pid; do
    [ -e "$f" ] || continue
    s=${f##*/}
    s=${s%.pid}
    case $s in proxy|object|container|account|memcached|logsink) ;;
    *) swift_stop_server "$d" "$s" ;;
    esac
  done
  for s in proxy object container account memcached logsink; do
    swift_stop_server "$d" "$s"
  done
  rm -rf "$d"
}
