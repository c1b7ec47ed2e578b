#!/bin/sh
# ft-shard and --dataset: a query split into shards (on this host, or as
# a Slurm array job on a real single-node Slurm started here) prints byte
# for byte what one process prints; failed shards are named, reruns reuse
# complete partials.
. "$(dirname "$0")/lib.sh"

SHARD=$FT_BIN/ft-shard
[ -x "$SHARD" ] || SHARD=$FT_TOP/scripts/ft-shard

# Two hours over a midnight and a month end, with country and AS tags.
awk 'BEGIN { split("RU CN US BR TH DE NL SC CY IN", c, " ")
  for (i = 1; i < 224; i++) printf "%d.0.0.0,%d.255.255.255,%s\n", i, i, c[i % 10 + 1] }' >netacq.csv
awk 'BEGIN { for (i = 1; i < 224; i++) for (j = 0; j < 4; j++)
  printf "%d.%d.0.0,%d.%d.255.255,%d\n", i, j * 64, i, j * 64 + 63, 64500 + i * 4 + j }' >pfx2as.csv
LAYOUT='datasource=demo/year=%Y/month=%m/day=%d/hour=%H/demo_%s.ft4.avro'
telescope-gen --start 1612134900 --duration 7200 --packets 200000 -w t.pcap &&
ft-aggregate --quiet --netacq netacq.csv --pfx2as pfx2as.csv -r t.pcap -w "ds/$LAYOUT" ||
  { echo "Bail out! no test data"; exit 1; }
ALL=$(find ds -name '*.avro' | sort)
# Both ends inside an interval (23:32 and 00:47 are not on the 5-min grid).
FROM=2021-01-31T23:32Z
TO=2021-02-01T00:47Z
RANGE="--dataset ds --from $FROM --to $TO"

# ---- --dataset in the readers ----

test_expect_success '--list-files: the files of the range, in time order, over a month end' '
  ft-cat $RANGE --list-files >got &&
  test "$(wc -l <got)" = 15 &&
  head -n 1 got | test_grep "^1612136100 1612136100 ds/datasource=demo/year=2021/month=01/day=31/hour=23/demo_1612136100.ft4.avro$" got &&
  tail -n 1 got | test_grep "^1612140300 1612140300 ds/datasource=demo/year=2021/month=02/day=01/hour=00/demo_1612140300.ft4.avro$" &&
  cut -d" " -f1 got >t && sort -n t | test_cmp - t
'
test_expect_success '--dataset equals the same files filtered by --from/--to' '
  ft-cat $RANGE -F csv >got &&
  ft-filter --from $FROM --to $TO -F csv "packet_cnt >= 0" $ALL >exp &&
  test_cmp exp got && test "$(wc -l <got)" -gt 1000
'
test_expect_success '--from/--to without --dataset drop records in every reader' '
  ft-topn -k src_ip --from $FROM --to $TO $ALL >got &&
  ft-filter --from $FROM --to $TO "packet_cnt >= 0" $ALL | ft-topn -k src_ip >exp &&
  test_cmp exp got &&
  ft-series --from 1612137600 --to 1612137600 $ALL >got && test "$(wc -l <got)" = 2
'
test_expect_success 'a gap, stray and temporary files are not listed' '
  cp -r ds gap &&
  rm gap/datasource=demo/year=2021/month=02/day=01/hour=00/demo_1612137900.ft4.avro &&
  touch gap/datasource=demo/year=2021/month=02/day=01/hour=00/.demo_1612138200.ft4.avro.tmp1 \
        gap/datasource=demo/year=2021/month=02/day=01/hour=00/demo_1612141000.ft4.avro \
        gap/datasource=demo/year=2021/month=02/day=01/hour=00/demo_x.ft4.avro &&
  mkdir gap/datasource=demo/year=2021/month=13 &&
  ft-cat --dataset gap --from $FROM --to $TO --list-files >got &&
  test "$(wc -l <got)" = 14 && ! grep -e 1612137900 -e tmp -e 1612141000 -e demo_x got
'
test_expect_success '--layout and --datasource: other trees' '
  mkdir -p flat/2021 &&
  for f in $ALL; do t=${f##*_}; t=${t%%.*}; cp "$f" "flat/2021/x-$t.avro"; done &&
  ft-cat --dataset flat --layout "%Y/x-%s.avro" --from $FROM --to $TO --count >got &&
  ft-cat $RANGE --count >exp && test_cmp exp got &&
  ft-cat --dataset ds --datasource demo --from $FROM --to $TO --count >got && test_cmp exp got
'
test_expect_success 'several datasources and no --datasource: exit 1' '
  cp -r ds two && mv two/datasource=demo two/datasource=a && cp -r ds/datasource=demo two/ &&
  { ft-cat --dataset two --count 2>err; test $? = 1; } &&
  test_grep "ft-cat: two: several datasources (.*): choose one with --datasource" err
'
test_expect_code 2 '--dataset with file arguments: exit 2' 'ft-topn -k src_ip --dataset ds t.pcap'
test_expect_code 2 '--layout without --dataset: exit 2' 'ft-series --layout %s x'
test_expect_code 2 '--to before --from: exit 2' 'ft-cat --dataset ds --from 20 --to 10'
test_expect_code 2 'a range with --merge: exit 2' 'ft-topn --merge --from 10 x.part'
test_expect_code 1 'a missing root: exit 1' 'ft-filter --count --dataset nope "packet_cnt > 0"'

# ---- ft-shard, local ----

# check QUERY...: ft-shard with 4 shards, 2 at a time, prints what one
# process prints over the same range
check() {
  "$SHARD" -N 4 --local -j 2 $RANGE -- "$@" >got || return 1
  one "$@" >exp || return 1
  test_cmp exp got && test -s got
}
# one QUERY...: the same in one process (a pipeline as given)
one() {
  awk -v q="$*" 'BEGIN { exit index(q, " | ") == 0 }' && {
    first=$1; shift; a=""
    while [ "$1" != "|" ]; do a="$a '$1'"; shift; done; shift
    eval "$first $RANGE $a" | "$@"; return
  }
  "$@" $RANGE
}
test_expect_success 'ft-topn by flows, packets and dst_ips; composite keys' '
  check ft-topn -k netacq_country -n 5 &&
  check ft-topn -k src_ip --by packets -n 20 &&
  check ft-topn -k dst_net,dst_port --by dst_ips -F csv &&
  check ft-topn -k prefix2asn --by packets -n 0 -F json
'
test_expect_success 'ft-series: intervals, bins, csv, exact distinct counts' '
  check ft-series -l demo.all &&
  check ft-series -b 3600 -F csv &&
  check ft-series -m src_ips,asns -F json
'
test_expect_success 'ft-filter --count and --intersect (text, csv, json), ft-cat --count' '
  check ft-filter --count "src_ip in 130.0.0.0/8" &&
  check ft-filter --intersect -e "netacq_country == \"RU\"" -e "uniq_dst_ips >= 2" &&
  check ft-filter -F csv --intersect -e "protocol == tcp" -e "dst_port == 23" &&
  check ft-filter -F json --intersect -e "protocol == tcp" -e "dst_port == 23" &&
  check ft-cat --count
'
test_expect_success 'the DUST questions as pipelines' '
  check ft-filter "common_ttls in 200..255" "|" ft-topn -k netacq_country -n 5 &&
  check ft-filter "src_ip in 130.0.0.0/8" "|" ft-series --label dustdemo.130net &&
  check ft-filter --intersect -e "netacq_country == \"RU\"" -e "uniq_dst_ips >= 60000"
'
test_expect_success 'explicit files, more shards than files, one shard' '
  "$SHARD" -N 5 $ALL -- ft-series -b 3600 >got && ft-series -b 3600 $ALL >exp && test_cmp exp got &&
  "$SHARD" -N 100 -j 2 --dataset ds --to 1612135500 -- ft-topn -k src_ip >got &&
  ft-topn -k src_ip --dataset ds --to 1612135500 >exp && test_cmp exp got &&
  "$SHARD" -N 1 --dataset ds -- ft-cat --count >got && ft-cat --count $ALL >exp && test_cmp exp got
'
test_expect_success 'a range without files gives the empty answer' '
  "$SHARD" -N 4 --dataset ds --from 1700000000 -- ft-topn -k src_ip >got &&
  ft-topn -k src_ip --dataset ds --from 1700000000 >exp && test_cmp exp got
'

# A broken file makes its shard fail; the others' partials stay.
cp -r ds bad
VICTIM=bad/datasource=demo/year=2021/month=01/day=31/hour=23/demo_1612136700.ft4.avro
cp "$VICTIM" victim.orig
test_expect_success 'a failed shard fails the run (exit 1), naming the shard and its log' '
  head -c 3000 victim.orig >"$VICTIM" &&
  { "$SHARD" -N 4 -j 2 --workdir w --dataset bad --from $FROM --to $TO -- \
      ft-topn -k netacq_country >out 2>err; test $? = 1; } &&
  cat err && test ! -s out &&
  test_grep "ft-shard: shard 0 failed: ft-topn: .*demo_1612136700.ft4.avro.*; log: $TRASH/w/logs/shard-0.log" err &&
  test_grep "demo_1612136700" w/logs/shard-0.log &&
  test "$(ls w/parts/*.part | wc -l)" = 3 &&
  test "$(ls -A w/parts | wc -l)" = 3
'
test_expect_success 'a rerun redoes only the failed shard (and an incomplete partial)' '
  cp victim.orig "$VICTIM" &&
  ls -l --time-style=+%s.%N w/parts >before &&
  "$SHARD" -N 4 -j 2 --workdir w --dataset bad --from $FROM --to $TO -- \
    ft-topn -k netacq_country >got 2>err &&
  test_grep "3 of 4 shards already done" err &&
  ft-topn -k netacq_country $RANGE >exp && test_cmp exp got &&
  ls -l --time-style=+%s.%N w/parts >after && grep -F -f before after | grep -c part >n &&
  echo 3 | test_cmp - n &&
  p=$(ls w/parts/shard-2-*.part) && head -c 20 "$p" >x && mv x "$p" &&
  "$SHARD" -N 4 -j 2 --workdir w --dataset bad --from $FROM --to $TO -- \
    ft-topn -k netacq_country >got 2>err &&
  test_grep "3 of 4 shards already done" err && test_cmp exp got
'
test_expect_success 'shards start as others end, in order; each writes its log' '
  "$SHARD" -N 7 -j 3 --workdir w7 $RANGE -- ft-filter --count "protocol == tcp" >got 2>err &&
  ft-filter --count "protocol == tcp" $RANGE >exp && test_cmp exp got && test ! -s err &&
  test "$(ls w7/parts | wc -l)" = 7 && test "$(ls w7/logs | wc -l)" = 7
'
# A tool in front of the real one on PATH, noting FT_READ_AHEAD as the
# shards see it.
mkdir wrap && cat >wrap/ft-cat <<EOF && chmod +x wrap/ft-cat
#!/bin/sh
echo "\${FT_READ_AHEAD-unset}" >>"$TRASH/ra.log"
exec "$FT_BIN/ft-cat" "\$@"
EOF
test_expect_success 'as many shards at once as cores: each reads on one thread' '
  : >ra.log &&
  PATH="$TRASH/wrap:$PATH" "$SHARD" -N 3 -j "$(nproc)" $RANGE -- ft-cat --count >got &&
  ft-cat --count $RANGE >exp && test_cmp exp got &&
  printf "unset\n0\n0\n0\n" >exp.ra && sort -r ra.log | test_cmp exp.ra - &&
  if [ "$(nproc)" -gt 1 ]; then
    : >ra.log && PATH="$TRASH/wrap:$PATH" "$SHARD" -N 2 -j 1 $RANGE -- ft-cat --count >got &&
    test_cmp exp got && printf "unset\nunset\nunset\n" | test_cmp - ra.log
  fi
'
# ft-filter in front of the real one, noting its calls.
mkdir wrapf && ln -s "$FT_BIN/ft-cat" wrapf/ft-cat && cat >wrapf/ft-filter <<EOF &&
#!/bin/sh
echo "\$*" >>"$TRASH/filter.log"
exec "$FT_BIN/ft-filter" "\$@"
EOF
chmod +x wrapf/ft-filter
test_expect_success 'ft-filter stages of only expressions run as -e of the last stage' '
  : >filter.log &&
  PATH="$TRASH/wrapf:$PATH" "$SHARD" -N 3 $RANGE -- ft-filter "common_ttls in 200..255" "|" \
    ft-filter -e "protocol == tcp" --expression "dst_port < 1024" "|" ft-topn -k netacq_country >got &&
  ft-filter "common_ttls in 200..255" $RANGE | ft-filter -e "protocol == tcp" -e "dst_port < 1024" |
    ft-topn -k netacq_country >exp &&
  test_cmp exp got && test ! -s filter.log &&
  PATH="$TRASH/wrapf:$PATH" "$SHARD" -N 3 $RANGE -- ft-filter -e"src_ip in 130.0.0.0/8" "|" \
    ft-series -b 3600 >got &&
  ft-series -e "src_ip in 130.0.0.0/8" -b 3600 $RANGE >exp && test_cmp exp got && test ! -s filter.log &&
  echo "protocol == tcp" >expr.txt &&
  PATH="$TRASH/wrapf:$PATH" "$SHARD" -N 3 $RANGE -- ft-filter -f "$TRASH/expr.txt" "|" ft-series >got &&
  ft-filter -f expr.txt $RANGE | ft-series >exp && test_cmp exp got &&
  test "$(wc -l <filter.log)" = 3
'
test_expect_success 'a tool that cannot start fails the run: one line, no temporaries' '
  mkdir badw && printf "#!/nonexistent/sh\n" >badw/ft-topn && chmod +x badw/ft-topn &&
  ln -s "$FT_BIN/ft-cat" badw/ft-cat &&
  { PATH="$TRASH/badw:$PATH" "$SHARD" -N 4 -j 2 --workdir wb $RANGE -- ft-topn -k src_ip \
      >out 2>err; test $? = 1; } &&
  test "$(wc -l <err)" = 1 && test_grep "^ft-shard: shard 0: .*ft-topn" err &&
  test ! -s out && test -z "$(ls -A wb/parts)"
'
test_expect_code 2 'no query: exit 2' '"$SHARD" --dataset ds'
test_expect_code 2 'a query that cannot be merged: exit 2' '"$SHARD" --dataset ds -- ft-cat -F csv'
test_expect_code 2 'a query with its own output or range: exit 2' '"$SHARD" --dataset ds -- ft-topn -k src_ip -w x'
test_expect_code 2 'a query with its own range: exit 2' '"$SHARD" --dataset ds -- ft-cat --count --from 3'
test_expect_code 2 '--slurm without --workdir: exit 2' '"$SHARD" --slurm --dataset ds -- ft-cat --count'
test_expect_success '--help and --version' '
  "$SHARD" --help | test_grep "^Usage: ft-shard" &&
  "$SHARD" --version | test_grep "^ft-shard (fttools) [0-9]"
'

# ---- a real single-node Slurm ----

SL=$TRASH/slurm
PIDFILES="$SL/slurmd.pid $SL/slurmctld.pid $SL/munge/run/munged.pid"
alive() { # PID: running (a zombie waiting for init counts as gone)
  st=$(sed -n "s/^State:[[:space:]]*\(.\).*/\1/p" "/proc/$1/status" 2>/dev/null)
  [ -n "$st" ] && [ "$st" != Z ]
}
# Stops exactly the daemons started here, by the pids they wrote.
stop_slurm() {
  pids=$(cat $PIDFILES 2>/dev/null)
  for p in $pids; do kill "$p" 2>/dev/null; done
  for p in $pids; do
    i=0; while alive "$p" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    ! alive "$p" || kill -9 "$p" 2>/dev/null
  done
  rm -f $PIDFILES
}
# Waits for a daemon's pid file (a daemon writes it after detaching).
wait_pidfile() {
  i=0
  until [ -s "$1" ] && alive "$(cat "$1")"; do
    i=$((i + 1)); [ $i -lt 100 ] || { echo "no pid in $1"; return 1; }
    sleep 0.05
  done
}
trap 'stop_slurm; cd /; rm -rf "$TRASH"' EXIT

# Everything under $SL: munged with its own key and socket, slurm.conf
# found through SLURM_CONF, daemons bound to what the host name resolves
# to, no systemd.  Prints why when it cannot start.
start_slurm() {
  for c in munged slurmctld slurmd sbatch scontrol; do
    command -v $c >/dev/null || { echo "$c not installed"; return 1; }
  done
  [ "$(id -u)" = 0 ] || { echo "not root (slurmd runs jobs as their user)"; return 1; }
  case $(getent hosts "$(hostname)") in
    127.*) ;;
    *) echo "$(hostname) does not resolve to 127.x"; return 1 ;;
  esac
  mkdir -p "$SL/munge/run" "$SL/munge/lib" "$SL/state" "$SL/spool" "$SL/log" &&
  chmod 0755 "$SL/munge/run" && chmod 0700 "$SL/munge/lib" &&
  head -c 1024 /dev/urandom >"$SL/munge/munge.key" && chmod 0400 "$SL/munge/munge.key" &&
  munged --force --key-file="$SL/munge/munge.key" --socket="$SL/munge/run/munge.socket" \
    --pid-file="$SL/munge/run/munged.pid" --log-file="$SL/log/munged.log" \
    --seed-file="$SL/munge/lib/seed" && wait_pidfile "$SL/munge/run/munged.pid" || return 1
  set -- $($PY -c 'import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
  cat >"$SL/slurm.conf" <<-EOF
	ClusterName=fttools
	SlurmctldHost=$(hostname)
	SlurmUser=root
	SlurmdUser=root
	SlurmctldPort=$1
	SlurmdPort=$2
	AuthType=auth/munge
	CredType=cred/munge
	AuthInfo=socket=$SL/munge/run/munge.socket
	StateSaveLocation=$SL/state
	SlurmdSpoolDir=$SL/spool
	SlurmctldPidFile=$SL/slurmctld.pid
	SlurmdPidFile=$SL/slurmd.pid
	SlurmctldLogFile=$SL/log/slurmctld.log
	SlurmdLogFile=$SL/log/slurmd.log
	ProctrackType=proctrack/linuxproc
	TaskPlugin=task/none
	CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
	SchedulerType=sched/builtin
	SchedulerParameters=kill_invalid_depend,batch_sched_delay=0,sched_min_interval=100000
	MailProg=/bin/true
	SelectType=select/cons_tres
	SelectTypeParameters=CR_Core
	ReturnToService=2
	JobAcctGatherType=jobacct_gather/none
	AccountingStorageType=accounting_storage/none
	MpiDefault=none
	MinJobAge=600
	$(slurmd -C | head -n 1)
	PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
	EOF
  SLURM_CONF=$SL/slurm.conf
  export SLURM_CONF
  slurmctld -c && wait_pidfile "$SL/slurmctld.pid" || return 1
  slurmd && wait_pidfile "$SL/slurmd.pid" || return 1
  i=0
  until [ "$(sinfo -h -o %T 2>/dev/null)" = idle ]; do
    i=$((i + 1)); [ $i -lt 100 ] || { echo "the node never came up"; return 1; }
    sleep 0.1
  done
}

if start_slurm >slurm-start.log 2>&1; then
  # scheck QUERY...: --slurm with 4 shards prints what one process prints
  scheck() {
    "$SHARD" --slurm -N 4 --workdir "$TRASH/sw$1" $RANGE -- "$@" >got 2>err ||
      { cat err; return 1; }
    one "$@" >exp && test_cmp exp got && test -s got &&
    test_grep "shards: job [0-9]* (array tasks 0,1,2,3 of 4)" err &&
    test_grep "merge: job [0-9]*" err && test_grep "4/4 shards done" err
  }
  test_expect_success 'Slurm: DUST question 1 (ft-filter | ft-topn), 4 array tasks + merge job' '
    scheck ft-filter "common_ttls in 200..255" "|" ft-topn -k netacq_country -n 5
  '
  test_expect_success 'Slurm: DUST question 2 (ft-filter | ft-series)' '
    scheck ft-filter "src_ip in 130.0.0.0/8" "|" ft-series --label dustdemo.130net
  '
  test_expect_success 'Slurm: DUST question 3 (ft-filter --intersect)' '
    scheck ft-filter --intersect -e "netacq_country == \"RU\"" -e "uniq_dst_ips >= 60000" &&
    scheck ft-filter --intersect -e "netacq_country == \"RU\"" -e "uniq_dst_ips >= 2"
  '
  test_expect_success 'Slurm: a failed array task fails the run (exit 1) with its job id and log' '
    head -c 3000 victim.orig >"$VICTIM" &&
    { "$SHARD" --slurm -N 4 --workdir "$TRASH/swbad" --dataset bad --from $FROM --to $TO -- \
        ft-topn -k netacq_country >out 2>err; test $? = 1; } &&
    cat err && test ! -s out &&
    test_grep "shard 0 failed (job [0-9]*_0, FAILED, exit code 1:0: ft-topn: .*demo_1612136700.*); log: $TRASH/swbad/logs/shard-0.log" err &&
    test_grep "1 of 4 shards failed" err &&
    mid=$(sed -n "s/.*merge: job \([0-9]*\).*/\1/p" err) &&
    scontrol -o show job "$mid" | test_grep "JobState=CANCELLED"
  '
  test_expect_success 'Slurm: the rerun submits only the failed shard' '
    cp victim.orig "$VICTIM" &&
    "$SHARD" --slurm -N 4 --workdir "$TRASH/swbad" --dataset bad --from $FROM --to $TO -- \
      ft-topn -k netacq_country >got 2>err &&
    test_grep "array tasks 0 of 4" err &&
    ft-topn -k netacq_country $RANGE >exp && test_cmp exp got
  '
  test_expect_success 'Slurm: --no-wait prints the job ids; the answer lands in the work directory' '
    "$SHARD" --slurm --no-wait -N 2 --workdir "$TRASH/swnw" $RANGE -- ft-cat --count >ids &&
    set -- $(cat ids) && test $# = 2 &&
    i=0; while [ ! -f "$TRASH/swnw/result" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done &&
    ft-cat --count $RANGE | test_cmp - "$TRASH/swnw/result"
  '
  test_expect_success 'Slurm: the daemons started here stop, and nothing of them is left' '
    stop_slurm &&
    for p in /proc/[0-9]*; do
      case $(cat $p/comm 2>/dev/null) in munged|slurm*) ;; *) continue ;; esac
      if grep -qs "$SL" $p/cmdline $p/environ && alive ${p#/proc/}; then
        echo "left running: ${p#/proc/} $(cat $p/comm)"; exit 1
      fi
    done
  '
else
  stop_slurm
  test_count=$((test_count + 1))
  echo "ok $test_count # SKIP Slurm: $(head -n 1 slurm-start.log)"
fi
# ---- a dataset in a Swift store (tests/swift/lib.sh) ----
. "$FT_TOP/tests/swift/lib.sh"
if swift_available; then
  unset OS_AUTH_URL OS_STORAGE_URL OS_AUTH_TOKEN FT_FETCH
  SW=$TRASH/sw
  trap 'stop_slurm; swift_stop "$SW"; cd /; rm -rf "$TRASH"' EXIT
  if swift_start "$SW" >swift-start.log 2>&1 && ft-upload -q -c shard --datasource demo ds; then
    test_expect_success 'ft-shard --local over a swift:// dataset equals one process' '
      "$SHARD" -N 4 -j 2 --dataset swift://shard --from $FROM --to $TO -- \
        ft-filter "common_ttls in 200..255" "|" ft-topn -k netacq_country -n 5 >got &&
      ft-filter "common_ttls in 200..255" $RANGE | ft-topn -k netacq_country -n 5 >exp &&
      test_cmp exp got &&
      "$SHARD" -N 3 -j 2 --workdir "$TRASH/swiftw" --dataset swift://shard --from $FROM --to $TO -- \
        ft-cat --count >got && ft-cat --count $RANGE >exp && test_cmp exp got &&
      grep -q "\"dataset\": \"swift://shard\"" "$TRASH/swiftw/plan.json"
    '
  else
    test_count=$((test_count + 1))
    echo "not ok $test_count - swift did not start"; cat swift-start.log
    test_failed=$((test_failed + 1))
  fi
else
  test_count=$((test_count + 1))
  echo "ok $test_count # SKIP swift://: python3-swift or memcached not installed"
fi
test_done
