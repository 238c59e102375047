# make bench: every benchmark. Each benchmark's own fragment adds its target to
# BENCH_TARGETS (bench-pmm, bench-ipc, bench-vm, ...). Guest benchmarks boot with
# -icount shift=0,sleep=off (QEMU_ICOUNT) so rdtsc deltas are guest instruction
# counts (docs/perf/vm.md). After them, Weft's figures and the Linux guest's
# (bench-linux) are printed side by side from the result files of this run.

QEMU_ICOUNT := -icount shift=0,sleep=off
BENCH_TARGETS += bench-pmm

.PHONY: bench
ifeq ($(ARCH),x86_64)
bench: $$(BENCH_TARGETS)
	@$(PYTHON) bench/linux/compare.py bench/results/ipc-$(ARCH).json bench/results/vm-$(ARCH).json \
	    bench/results/linux-$(ARCH).json
else
# A port's benchmarks are its IPC and VM tables (each prints its own); the
# Linux guest, boot, network, storage and SMP figures are x86-64's.
bench: bench-ipc bench-vm
endif
EXTRA_HELP += "bench          every benchmark (BENCH_TARGETS); figures in docs/perf/"
