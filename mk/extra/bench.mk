# make bench: every benchmark. Each benchmark's own fragment adds its target to
# BENCH_TARGETS (bench-pmm, bench-ipc, bench-vm, ...). Guest benchmarks boot with
# -icount shift=0,sleep=off (QEMU_ICOUNT) so rdtsc deltas are guest instruction
# counts (TESTING.md).

QEMU_ICOUNT := -icount shift=0,sleep=off
BENCH_TARGETS += bench-pmm

.PHONY: bench
bench: $$(BENCH_TARGETS)
EXTRA_HELP += "bench          every benchmark (BENCH_TARGETS); figures in docs/perf/"
