#!/bin/sh
# The host's half of make ARCH=aarch64 check-guest-aarch64-storage: after the
# guest wrote to the disk (tests/system/aarch64-storage.script) and QEMU
# stopped, e2fsck -fn must find nothing and debugfs must read the file back.
# riscv64's check-guest-riscv64-storage uses it too, naming its file and text
# in STORAGE_FILE and STORAGE_TEXT (aarch64's by default).
#
#   [STORAGE_FILE=PATH STORAGE_TEXT=TEXT] tests/system/aarch64-storage.sh IMAGE [RESULTS NAME]
#
# Prints one "ok"/"not ok" line per check; "NAME PASSED FAILED" is appended to
# RESULTS when given. Exit status 0 iff all passed.
set -u
[ $# -eq 1 ] || [ $# -eq 3 ] || { echo "usage: $0 IMAGE [RESULTS NAME]" >&2; exit 2; }
img=$1 fails=0 passes=0
file=${STORAGE_FILE:-/arm/kept.txt} text=${STORAGE_TEXT:-written on aarch64}
check() { # NAME COMMAND...: a test point
    name=$1; shift
    if "$@"; then echo "ok - storage-disk: $name"; passes=$((passes + 1))
    else echo "not ok - storage-disk: $name"; fails=$((fails + 1)); fi
}
out=$(e2fsck -fn "$img" 2>&1); rc=$?
[ $rc -eq 0 ] || printf '%s\n' "$out" | sed 's/^/# /'
check "e2fsck -fn clean (exit $rc)" [ $rc -eq 0 ]
kept=$(debugfs -R "cat $file" "$img" 2>/dev/null)
check "$file holds what the shell wrote" [ "$kept" = "$text" ]
echo "$passes passed, $fails failed"
[ $# -eq 3 ] && echo "$3 $passes $fails" >> "$2"
[ $fails -eq 0 ]
