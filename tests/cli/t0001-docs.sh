#!/bin/sh
# Every tool has a man page that lints clean and documents every long
# option its --help shows; README mentions every tool.
. "$(dirname "$0")/lib.sh"

test_expect_success 'man pages lint clean' '
  mandoc -Tlint -Wwarning "$FT_TOP"/man/*.[0-9] >lint 2>&1; test ! -s lint || { cat lint; false; }
'
for tool in "$FT_BIN"/ft-*; do
  name=$(basename "$tool")
  test_expect_success "$name has a man page, a README section and --help" '
    test -f "$FT_TOP/man/$name.1" && grep -q "$name" "$FT_TOP/README.md" &&
    "$tool" --help >help
  '
  test_expect_success "$name: every option in --help is in its man page" '
    "$tool" --help | grep -o -- "--[a-z][a-z-]*" | sort -u >opts &&
    while read -r o; do
      grep -q -- "^\.It Fl -${o#--}\|Fl -${o#--}\b" "$FT_TOP/man/$name.1" ||
        { echo "$name.1 lacks $o"; exit 1; }
    done <opts
  '
  test_expect_success "$name: man page has the standard sections" '
    for s in NAME SYNOPSIS DESCRIPTION "EXIT STATUS" EXAMPLES; do
      grep -q "^\.Sh $s" "$FT_TOP/man/$name.1" || { echo "no $s"; exit 1; }
    done
  '
done
test_done
