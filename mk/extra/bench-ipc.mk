# IPC benchmarks (kernel/test/bench_ktest.c; docs/perf/ipc.md): release kernels
# (DEBUG=0, as shipped) for CLUSTER_ORDER=0 and 4 boot with `ktest=bench_ipc/`
# under -icount shift=0,sleep=off, so rdtsc deltas are guest instructions.
# Results: bench/results/ipc-x86_64.json (one JSON object per line).
#
#   make bench-ipc               x86-64's table
#   make bench-ipc ARCH=aarch64  a port's table, the umode/bench_* self-tests (also ARCH=riscv64)

BENCH_IPC_ORDERS := 0 4
BENCH_IPC_KERNELS := $(foreach o,$(BENCH_IPC_ORDERS),build/bench-ipc-c$(o)/weft-test.elf)

.PHONY: bench-ipc bench-ipc-kernels
bench-ipc-kernels:
	@$(foreach o,$(BENCH_IPC_ORDERS),$(MAKE) --no-print-directory kernel-test DEBUG=0 \
	    CLUSTER_ORDER=$(o) BUILD=build/bench-ipc-c$(o) &&) true

ifeq ($(ARCH),x86_64)
bench-ipc: bench-ipc-kernels $(DEPS_STAMP)
	$(PYTHON) bench/ipc/run.py --qemu "$(QEMU) $(QEMU_BASE) $(QEMU_TEST_DEV) $(QEMU_ICOUNT) \
	    -serial stdio -monitor none -m 128M" --json bench/results/ipc-$(ARCH).json $(BENCH_IPC_KERNELS)
else
# A port measures the same operations with the self-tests of
# kernel/test/bench_umode_ktest.c and umode_ktest.c, timed by the kernel's clock
# (decision 163; bench-ipc-aarch64, bench-ipc-riscv64 in its mk/arch-*.mk);
# docs/perf/ipc.md, "Per architecture", has the figures side by side.
bench-ipc: bench-ipc-$(ARCH)
endif

BENCH_TARGETS += bench-ipc
EXTRA_HELP += "bench-ipc      IPC instruction counts, CLUSTER_ORDER=0 and 4 (docs/perf/ipc.md)"
