#!/bin/sh
# make install puts every tool and man page under PREFIX (and DESTDIR).
. "$(dirname "$0")/lib.sh"

if [ "$FT_BIN" != "$FT_TOP/bin" ]; then
  echo "ok 1 # SKIP make install is checked with the default build only"
  test_count=1
  test_done
  exit 0
fi
test_expect_success 'make install PREFIX=... installs tools and man pages' '
  make -s -C "$FT_TOP" install PREFIX="$TRASH/usr" >log 2>&1 &&
  for t in "$FT_BIN"/ft-*; do
    test -x "usr/bin/$(basename "$t")" || { echo "missing $t"; exit 1; }
    test -f "usr/share/man/man1/$(basename "$t").1" || exit 1
  done &&
  test -f usr/share/man/man5/ft4.5 && test -f usr/share/man/man5/ft4-stream.5 &&
  usr/bin/ft-cat --version | test_grep "^ft-cat (fttools)"
'
test_expect_success 'DESTDIR stages an install' '
  make -s -C "$FT_TOP" install DESTDIR="$TRASH/stage" PREFIX=/opt/ft >log 2>&1 &&
  test -x stage/opt/ft/bin/ft-cat
'
test_done
