#!/bin/sh
# Installs the Debian packages that building, testing and the demo need.
# Idempotent: installs only what is missing, so reruns are quick and offline.
set -eu
PKGS="gcc make pkg-config tcpreplay iproute2 procps libavro-dev avro-bin python3-avro libsnappy-dev
zlib1g-dev libpcap-dev libmaxminddb-dev libmaxmind-db-writer-perl libcurl4-openssl-dev libcmocka-dev mandoc python3-snappy"
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
