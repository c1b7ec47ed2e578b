#!/bin/sh
# ft-cat: options, formats, inputs and errors.
. "$(dirname "$0")/lib.sh"

# Two records from the seed talk, written by python3-avro (an independent
# Avro implementation).
cat >recs.json <<'JSON'
{"time":1613239200,"src_ip":16824709,"dst_net":738263040,"dst_port":771,"protocol":1,"packet_cnt":2,"uniq_dst_ips":1,"uniq_pkt_sizes":2,"uniq_ttls":1,"common_ttls":[44],"common_ttl_freqs":[2],"netacq_continent":"AS","netacq_country":"TH","prefix2asn":23969}
{"time":1613239800,"src_ip":3239906926,"dst_net":738197504,"dst_port":5060,"protocol":17,"packet_cnt":64942,"uniq_dst_ips":64942,"uniq_pkt_sizes":13,"uniq_ttls":1,"uniq_src_ports":1,"common_ttls":[49],"common_ttl_freqs":[64942],"common_srcports":[5181],"common_srcport_freqs":[64942],"netacq_continent":"EU","netacq_country":"RU","prefix2asn":35478,"spoofed_packet_cnt":3,"masscan_packet_cnt":1099511627776}
JSON
$PY "$FT_TOP/tests/tools/ft4-json2avro.py" two.avro <recs.json || exit 1

test_expect_success '--help prints usage to stdout' '
  ft-cat --help >out && test_grep "^Usage: ft-cat" out
'
test_expect_success '--version' '
  ft-cat --version >out && test_grep "^ft-cat (fttools) [0-9]" out
'
test_expect_code 2 'unknown option exits 2' 'ft-cat --bogus two.avro'
test_expect_success 'unknown option says how to get help' '
  test_must_fail ft-cat --bogus 2>err && test_grep "Try .ft-cat --help." err
'
test_expect_code 2 'bad --format value exits 2' 'ft-cat -F xml two.avro'
test_expect_code 2 'bad --limit exits 2' 'ft-cat -n 12x two.avro'
test_expect_success 'unknown field is refused with a suggestion' '
  test_must_fail ft-cat --fields time,src_iq two.avro 2>err &&
  test_grep "unknown field .src_iq. (did you mean .src_ip.?)" err
'
test_expect_success '--help-fields lists every field' '
  ft-cat --help-fields >out && test $(wc -l <out) -eq 28 &&
  test_grep "^masscan_packet_cnt" out
'

test_expect_success 'text table' '
  ft-cat -F text --fields time,src_ip,dst_net,dst_port,protocol,packet_cnt,common_ttls,netacq_country two.avro >out &&
  cat >exp <<-\EOF &&
	time       src_ip          dst_net         dst_port protocol packet_cnt common_ttls netacq_country
	1613239200 1.0.185.133     44.1.0.0        771      1        2          [44]        TH
	1613239800 193.29.14.110   44.0.0.0        5060     17       64942      [49]        RU
	EOF
  test_cmp exp out
'
test_expect_success 'csv with iso time and integer addresses' '
  ft-cat -F csv --time-format iso --ip-format int --fields time,src_ip,common_srcports,netacq_country two.avro >out &&
  cat >exp <<-\EOF &&
	time,src_ip,common_srcports,netacq_country
	2021-02-13T18:00:00Z,16824709,"[]",TH
	2021-02-13T18:10:00Z,3239906926,"[5181]",RU
	EOF
  test_cmp exp out
'
test_expect_success 'json lines hold every field, equal to what was written' '
  ft-cat -F json --ip-format int two.avro >out &&
  $PY - recs.json out <<-\EOF
	import json, sys
	want = [json.loads(l) for l in open(sys.argv[1])]
	got = [json.loads(l) for l in open(sys.argv[2])]
	assert len(got) == 2, got
	for w, g in zip(want, got):
	    assert len(g) == 28, sorted(g)
	    for k, v in w.items():
	        assert g[k] == v, (k, g[k], v)
	assert got[0]["maxmind_country"] == "??" and got[0]["spoofed_packet_cnt"] == 0
	EOF
'
test_expect_success 'json with dotted addresses quotes them' '
  ft-cat -F json --fields src_ip,dst_net -n 1 two.avro >out &&
  echo "{\"src_ip\":\"1.0.185.133\",\"dst_net\":\"44.1.0.0\"}" >exp &&
  test_cmp exp out
'
test_expect_success '--limit and --count' '
  ft-cat -F csv --no-header --fields src_ip -n 1 two.avro >out &&
  echo 1.0.185.133 >exp && test_cmp exp out &&
  ft-cat --count two.avro two.avro >out && echo 4 >exp && test_cmp exp out
'
test_expect_success 'reads stdin when no file is given, and for -' '
  ft-cat --count <two.avro >out && echo 2 >exp && test_cmp exp out &&
  ft-cat --count two.avro - <two.avro >out && echo 4 >exp && test_cmp exp out
'
test_expect_success 'reads gzip-compressed input' '
  gzip -c two.avro >two.avro.gz && ft-cat --count two.avro.gz >out &&
  echo 2 >exp && test_cmp exp out
'
test_expect_success 'framed round trip through a pipe keeps every field' '
  ft-cat two.avro | ft-cat -F json >a && ft-cat -F json two.avro >b &&
  test_cmp b a
'
test_expect_success 'avro output is read by avrocat and python3-avro' '
  ft-cat -w copy.avro two.avro && test -f copy.avro &&
  avrocat copy.avro >/dev/null &&
  $PY - copy.avro recs.json <<-\EOF
	import json, sys, avro.datafile, avro.io
	rows = list(avro.datafile.DataFileReader(open(sys.argv[1], "rb"), avro.io.DatumReader()))
	want = [json.loads(l) for l in open(sys.argv[2])]
	assert len(rows) == 2
	for w, g in zip(want, rows):
	    for k, v in w.items():
	        assert g[k] == v, (k, g[k], v)
	EOF
'
test_expect_success 'each avro codec round-trips' '
  for c in deflate null snappy; do
    ft-cat --codec $c -F avro two.avro >c.avro &&
    ft-cat -F json c.avro >c.json && ft-cat -F json two.avro >o.json &&
    test_cmp o.json c.json || return 1
  done
'
test_expect_success 'an empty selection still writes a valid header' '
  ft-cat -n 0 -w empty.avro two.avro && ft-cat --count empty.avro >out &&
  echo 0 >exp && test_cmp exp out &&
  ft-cat -n 0 two.avro | ft-cat --count >out && test_cmp exp out
'

test_expect_code 1 'empty input is an error' 'ft-cat </dev/null'
test_expect_success 'empty input message names stdin' '
  test_must_fail ft-cat </dev/null 2>err && test_grep "^ft-cat: (stdin): empty input$" err
'
test_expect_success 'missing file' '
  test_must_fail ft-cat nope.avro 2>err &&
  test_grep "^ft-cat: nope.avro: No such file or directory$" err
'
test_expect_success 'a directory as input' '
  mkdir d && test_must_fail ft-cat d 2>err && test_grep "^ft-cat: d: is a directory$" err
'
test_expect_success 'not FT4 data' '
  echo hello >h.txt && test_must_fail ft-cat h.txt 2>err &&
  test_grep "^ft-cat: h.txt: not FT4 data" err
'
test_expect_success 'corrupt input with -w leaves no output file and no temporary' '
  head -c 300 two.avro >cut.avro &&
  test_must_fail ft-cat -w out.avro two.avro cut.avro 2>err &&
  test_grep "^ft-cat: cut.avro: " err &&
  ! test -e out.avro && ! ls out.avro.tmp.* 2>/dev/null
'
test_expect_success 'an existing output file is left as it was after an error' '
  echo keep >old.avro && test_must_fail ft-cat -w old.avro cut.avro &&
  echo keep >exp && test_cmp exp old.avro
'
test_expect_success 'output to a full disk fails with a message' '
  test_must_fail ft-cat -F text two.avro >/dev/full 2>err &&
  test_grep "No space left on device" err
'
test_expect_success 'a closed pipe ends quietly' '
  for i in $(seq 3000); do echo two.avro; done >list &&
  (ft-cat -F csv $(cat list) 2>err; echo $? >rc) | head -n 1 >/dev/null &&
  ! test -s err && test "$(cat rc)" = 141
'
test_expect_success 'binary is not written to a terminal' '
  run_in_pty out ft-cat -F framed two.avro; test $? = 1 &&
  test_grep "will not write binary data to a terminal" out
'
test_expect_success 'a terminal gets a text table by default' '
  run_in_pty out ft-cat --fields src_ip two.avro &&
  printf "src_ip\n1.0.185.133\n193.29.14.110\n" >exp && test_cmp exp out
'
test_expect_success 'SIGTERM leaves neither the output file nor its temporary' '
  mkfifo in.fifo || exit 1
  ft-cat -w sig.avro in.fifo 2>err &
  pid=$!
  exec 3>in.fifo && head -c 300 two.avro >&3 && sleep 1 &&
  ls sig.avro.tmp.* >/dev/null && kill -TERM $pid; wait $pid; rc=$?
  exec 3>&-
  test $rc = 143 && ! test -e sig.avro && ! ls sig.avro.tmp.* 2>/dev/null
'
# Blocks of a file are read ahead by a second thread: every block, in
# order, every time (the worker racing ahead once overwrote a block); and
# from a pipe, whatever the timing of the input.
test_expect_success 'many blocks, read ahead: every record in order, pauses or not' '
  telescope-gen --seed 5 --packets 20000 -w blk.pcap &&
  ft-aggregate --quiet -r blk.pcap -F framed >blk.ft4 &&
  ft-cat -F csv blk.ft4 >exp.csv &&
  for codec in deflate null snappy; do
    ft-cat --codec $codec --block-size 2000 -w blk-$codec.avro blk.ft4 || exit 1
    for i in 1 2 3 4 5; do
      ft-cat -F csv blk-$codec.avro >got.csv && test_cmp exp.csv got.csv || exit 1
    done
    for cut in 300 5000 20000; do
      { head -c $cut blk-$codec.avro; sleep 0.2; tail -c +$((cut + 1)) blk-$codec.avro; } |
        ft-cat -F csv >got.csv && test_cmp exp.csv got.csv || exit 1
    done
  done &&
  test $(wc -l <exp.csv) -gt 1000
'
test_expect_success 'an early stop (-n) while the worker reads a pipe ends at once' '
  { cat blk-null.avro; sleep 30; } | ft-cat -n 3 -F csv >got.csv 2>err &
  pid=$! && sleep 3 && ! kill -0 $pid 2>/dev/null; ok=$?
  kill $pid 2>/dev/null; wait $pid
  test $ok = 0 && test $(wc -l <got.csv) = 4
'
test_expect_success '-w to a FIFO writes into it and leaves it a FIFO' '
  mkfifo out.fifo && { cat out.fifo >fifo.out & } &&
  ft-cat -w out.fifo blk-deflate.avro && wait &&
  test -p out.fifo && ft-cat -F csv fifo.out >got.csv && test_cmp exp.csv got.csv
'
if [ "$(nproc)" -ge 2 ]; then
  # ft-cat stalls on a full pipe while its reader holds blocks read ahead.
  threads_while_blocked() {
    mkfifo tb.fifo && { ft-cat -F framed blk-deflate.avro >tb.fifo & } && pid=$! &&
      exec 4<tb.fifo && sleep 1 && ls /proc/$pid/task | wc -l >threads &&
      cat <&4 >/dev/null; exec 4<&-; wait $pid; rm -f tb.fifo
  }
  test_expect_success 'a file is read ahead on a second thread; FT_READ_AHEAD=0 turns it off' '
    threads_while_blocked && test "$(cat threads)" = 2 &&
    FT_READ_AHEAD=0 threads_while_blocked && test "$(cat threads)" = 1
  '
fi
test_done
