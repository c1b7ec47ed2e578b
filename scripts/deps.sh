#!/bin/sh
# Installs the Debian packages that building, testing and the demo need
# (`sh scripts/deps.sh`), or those the benchmarks compare against
# (`sh scripts/deps.sh bench`).  Idempotent: installs only what is
# missing, so reruns are quick and need no network.
set -eu
PKGS="gcc make pkg-config bc libavro-dev avro-bin python3-avro python3-snappy
libsnappy-dev libdeflate-dev zlib1g-dev libpcap-dev libmaxminddb-dev libcurl4-openssl-dev
libcmocka-dev libmaxmind-db-writer-perl mandoc tcpreplay iproute2 procps sqlite3 librsvg2-bin
clang libclang-rt-14-dev valgrind slurmctld slurmd slurm-client munge
libjansson-dev libssl-dev python3-swift memcached curl"
if [ "${1:-}" = bench ]; then
  PKGS="time bc nfdump softflowd argus-server"
fi
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "deps: missing packages:$missing (run 'make deps' as root)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing
