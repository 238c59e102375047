#!/usr/bin/env bash
# Checks the `make debug` workflow: QEMU halted with a gdb stub, gdb loads the
# command file written for it, a breakpoint on kernel_main is hit with source
# line information, and the backtrace reaches the boot code. Prints TAP-style
# result lines and 'N passed, N failed'; exit 0 iff passed.
#   usage: tests/system/gdb-attach.sh BUILD_DIR QEMU_CMD...
set -u
build=$1; shift
port=$((20000 + RANDOM % 20000))
sed "s|@KERNEL@|$(realpath "$build/weft.elf")|; s|localhost:1234|localhost:$port|" \
    tools/gdbinit.in > "$build/gdbinit-test"
"$@" -display none -serial null -monitor none -gdb "tcp::$port" -S </dev/null >/dev/null 2>&1 &
qpid=$!
trap 'kill $qpid 2>/dev/null' EXIT
sleep 1
out=$(timeout 60 gdb -nx -batch -x "$build/gdbinit-test" -ex 'break kernel_main' -ex continue \
    -ex bt -ex kill 2>&1)
pass=0; fail=0
check() {
    if grep -qE "$2" <<<"$out"; then echo "ok - debug/$1"; pass=$((pass + 1));
    else echo "not ok - debug/$1 # no /$2/ in gdb output"; fail=$((fail + 1)); fi
}
check breakpoint_hit 'Breakpoint 1, kernel_main \(.*\) at kernel/core/main.c:[0-9]+'
check backtrace_to_boot '#[0-9]+ .* in kmain .* at kernel/arch/x86_64/entry.c'
[ "$fail" -eq 0 ] || echo "$out" | tail -20
echo "$pass passed, $fail failed"
[ -n "${RESULTS:-}" ] && echo "gdb-attach $pass $fail" >> "$RESULTS"
[ "$fail" -eq 0 ]
