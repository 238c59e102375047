# Figures that cannot go stale (decision 104; tools/check-figures). Guest
# instruction counts are deterministic, so make check re-runs the IPC and VM
# benchmarks and fails when a committed figure differs from what this tree
# produces: the results in bench/results/ and every figure README.md and
# docs/perf/*.md quote with a <!--fig:KEY--> marker.
#
#   make check-figures   run the IPC and VM benchmarks into build/figures/, compare
#                        them with bench/results/ and the marked figures (in make check)
#   make figures         the same runs, then write them into bench/results/ and
#                        refresh every marked figure in README.md and docs/perf/
#   make check-figures-selftest   the checker fails on doctored copies (in make check)
#
# The boot figure (bench-boot.mk) is re-measured with them, the quick variant of
# the storage benchmark (bench-storage.mk, figures-storage; compared within a
# tolerance: decision 140), and the ports' IPC and VM figures (figures-ports
# below, exact).
#
# The Linux guest's figures are not re-measured (make bench-linux: network, a
# minute of boots, up to 4% run to run); their quotes are checked against the
# committed bench/results/linux-x86_64.json.

FIGURES_DIR := build/figures

# The IPC boots also run the kernel-level VM self-test (bench_vm/, the x86-64
# columns of docs/perf/vm.md's "Per architecture": vm-kernel-ARCH.json).
.PHONY: check-figures figures figures-fresh figures-ipc check-figures-selftest
figures-ipc: bench-ipc-kernels $(DEPS_STAMP)
	@mkdir -p $(FIGURES_DIR)
	@$(PYTHON) bench/ipc/run.py --qemu "$(QEMU) $(QEMU_BASE) $(QEMU_TEST_DEV) $(QEMU_ICOUNT) \
	    -serial stdio -monitor none -m 128M" --json $(FIGURES_DIR)/ipc-$(ARCH).json \
	    --ktest bench_ipc/,bench_vm/ --log-dir $(FIGURES_DIR)/logs-$(ARCH) $(BENCH_IPC_KERNELS) >/dev/null
	@$(PYTHON) tools/port-figures --vm-only --arch $(ARCH) --out $(FIGURES_DIR) \
	    $(foreach o,$(BENCH_IPC_ORDERS),$(FIGURES_DIR)/logs-$(ARCH)/c$(o).log)

# The Linux programs under lx (make bench-lx, mk/extra/lx.mk).
.PHONY: figures-lx
figures-lx:
	@mkdir -p $(FIGURES_DIR)
	@$(MAKE) --no-print-directory bench-lx BENCH_LX_JSON=$(FIGURES_DIR)/lx-$(ARCH).json >/dev/null

# The ports' IPC and VM figures (decision 176; docs/perf/ipc.md and vm.md, "Per
# architecture"): in each port's own make, one boot per cluster order of the
# release test image running the IPC and VM self-tests (the kernel's clock counts
# instructions under -icount shift=0; riscv64's hart has Svnapot,
# BENCH_VM_KERNEL_QEMU); tools/port-figures checks that they passed and writes
# ipc-ARCH.json and vm-kernel-ARCH.json into $(FIGURES_DIR). Then the user-level
# VM benchmark on each port (decision 183): bench-vm-smoke, one boot per order
# of the debug kernel with utest and benchvm, into vm-ARCH.json.
FIGURES_PORTS       := aarch64 riscv64
FIGURES_PORT_ORDERS := 0 4
FIGURES_PORT_TESTS  := umode/bench,bench_vm/

.PHONY: figures-ports figures-port-boot
figures-ports:
	@$(foreach a,$(FIGURES_PORTS),$(foreach o,$(FIGURES_PORT_ORDERS),$(MAKE) --no-print-directory \
	    ARCH=$(a) CLUSTER_ORDER=$(o) DEBUG=0 figures-port-boot RESULTS=$(RESULTS) &&)) true
	@mkdir -p $(FIGURES_DIR)
	@$(foreach a,$(FIGURES_PORTS),$(PYTHON) tools/port-figures --arch $(a) --out $(FIGURES_DIR) \
	    $(foreach o,$(FIGURES_PORT_ORDERS),build/$(a)-c$(o)-release/figures.log) &&) true
	@$(foreach a,$(FIGURES_PORTS),$(MAKE) --no-print-directory ARCH=$(a) bench-vm-smoke \
	    RESULTS=$(RESULTS) &&) true

figures-port-boot: $(KERNEL_TEST_IMG) $(DEPS_STAMP)
	@$(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)-figures --log $(BUILD)/figures.log --exit-code 1 \
	    -- $(QEMU) $(QEMU_BASE) $(QEMU_TEST_DEV) $(BENCH_VM_KERNEL_QEMU) -serial stdio \
	    -monitor none -kernel $(KERNEL_TEST_IMG) -m 128M $(QEMU_ICOUNT) \
	    -append "ktest=$(FIGURES_PORT_TESTS)"

# bench-vm-smoke leaves the VM results in $(FIGURES_DIR) after checking its claims.
figures-fresh: bench-vm-smoke figures-ipc figures-boot figures-storage figures-lx figures-ports

check-figures: figures-fresh
	@$(PYTHON) tools/check-figures --fresh $(FIGURES_DIR) --results $(RESULTS)

figures: figures-fresh
	@$(PYTHON) tools/check-figures --fresh $(FIGURES_DIR) --update
	@$(PYTHON) tools/check-figures

check-figures-selftest:
	@$(PYTHON) tools/check-figures --self-test --results $(RESULTS)
	@$(PYTHON) tools/port-figures --self-test

CHECK_TARGETS += check-figures check-figures-selftest
EXTRA_HELP += "check-figures  IPC and VM benchmarks re-run; fail if a committed figure differs (in make check)"
EXTRA_HELP += "figures        re-run them and refresh bench/results/ and every marked figure in the docs"
EXTRA_HELP += "check-figures-selftest  the figure checker fails on doctored copies (in make check)"
EXTRA_HELP += "figures-ports  the ports' IPC and VM figures into build/figures/ (one boot per ARCH and order)"
