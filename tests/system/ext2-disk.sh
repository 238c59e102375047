#!/bin/sh
# The disk of the ext2 system test (tests/system/ext2.script; make check-system-ext2).
#
#   tests/system/ext2-disk.sh make IMAGE    a fresh 4 MiB ext2 image: examples/disk/
#                                           and /cold.txt (read only after the
#                                           driver's restart)
#   tests/system/ext2-disk.sh check IMAGE [RESULTS NAME]
#                                           after the guest powered off: e2fsck -fn
#                                           must find nothing, and debugfs must read
#                                           what the script wrote (data, modes,
#                                           owners, times) and not what it removed; "NAME PASSED FAILED" is appended
#                                           to RESULTS when given
# Prints one "ok"/"not ok" line per check; exit status 0 iff all passed.
set -u
usage() { echo "usage: $0 make|check IMAGE" >&2; exit 2; }
[ $# -eq 2 ] || [ $# -eq 4 ] || usage
img=$2
case $1 in
make)
    dir=$(mktemp -d) || exit 1
    trap 'rm -rf "$dir"' EXIT
    cp -R examples/disk/. "$dir/" && echo "cold until the driver restarts" > "$dir/cold.txt" || exit 1
    rm -f "$img" && truncate -s 4M "$img" || exit 1
    E2FSPROGS_FAKE_TIME=1 mke2fs -q -F -t ext2 -b 1024 -I 256 -U clear -E root_owner=0:0 \
        -L weft -d "$dir" "$img"
    ;;
check)
    fails=0 passes=0
    check() { # NAME COMMAND...: a test point
        name=$1; shift
        if "$@"; then echo "ok - ext2-disk: $name"; passes=$((passes + 1))
        else echo "not ok - ext2-disk: $name"; fails=$((fails + 1)); fi
    }
    out=$(e2fsck -fn "$img" 2>&1); rc=$?
    [ $rc -eq 0 ] || printf '%s\n' "$out" | sed 's/^/# /'
    check "e2fsck -fn clean (exit $rc)" [ $rc -eq 0 ]
    kept=$(debugfs -R 'cat /made/kept.txt' "$img" 2>/dev/null)
    check "/made/kept.txt holds what the shell wrote" [ "$kept" = "written by weft" ]
    gone=$(debugfs -R 'ls -l /' "$img" 2>/dev/null)
    check "/gone.txt and /gonedir are removed" sh -c '! printf "%s" "$1" | grep -q gone' _ "$gone"
    lost=$(debugfs -R 'stat /lost.txt' "$img" 2>&1)
    check "/lost.txt (written after the driver was lost) is absent" sh -c 'printf "%s" "$1" | grep -q "File not found"' _ "$lost"
    attrs=$(debugfs -R 'stat /made/kept.txt' "$img" 2>/dev/null | tr -s ' \t' ' ')
    check "/made/kept.txt has the shell's mode 4750" sh -c 'printf "%s" "$1" | grep -q "Mode: 04750"' _ "$attrs"
    check "/made/kept.txt has the shell's owner 1000:100" sh -c 'printf "%s" "$1" | grep -q "User: 1000 Group: 100"' _ "$attrs"
    check "/made/kept.txt has the shell's mtime and atime" sh -c 'printf "%s" "$1" | grep -q "mtime: 0x499602d2" && printf "%s" "$1" | grep -q "atime: 0x499602d2"' _ "$attrs"
    touched=$(debugfs -R 'stat /made/touched' "$img" 2>/dev/null | tr -s ' \t' ' ')
    check "/made/touched made by touch" sh -c 'printf "%s" "$1" | grep -q "Type: regular"' _ "$touched"
    made=$(debugfs -R 'stat /made' "$img" 2>/dev/null | tr -s ' \t' ' ')
    check "/made has the sticky mode 1777" sh -c 'printf "%s" "$1" | grep -q "Mode: 01777"' _ "$made"
    hello=$(debugfs -R 'cat /docs/hello.txt' "$img" 2>/dev/null)
    check "/docs/hello.txt unchanged" [ "$hello" = "Hello from an ext2 disk." ]
    echo "$passes passed, $fails failed"
    [ $# -eq 4 ] && echo "$4 $passes $fails" >> "$3"
    [ $fails -eq 0 ]
    ;;
*) usage ;;
esac
