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
# The boot figure (bench-boot.mk) is re-measured with them, and the quick variant of
# the storage benchmark (bench-storage.mk, figures-storage; compared within a
# tolerance: decision 140).
#
# The Linux guest's figures are not re-measured (make bench-linux: network, a
# minute of boots, up to 4% run to run); their quotes are checked against the
# committed bench/results/linux-x86_64.json.

FIGURES_DIR := build/figures

.PHONY: check-figures figures figures-fresh figures-ipc check-figures-selftest
figures-ipc: bench-ipc-kernels $(DEPS_STAMP)
	@mkdir -p $(FIGURES_DIR)
	@$(PYTHON) bench/ipc/run.py --qemu "$(QEMU) $(QEMU_BASE) $(QEMU_TEST_DEV) $(QEMU_ICOUNT) \
	    -serial stdio -monitor none -m 128M" --json $(FIGURES_DIR)/ipc-$(ARCH).json \
	    $(BENCH_IPC_KERNELS) >/dev/null

# The Linux programs under lx (make bench-lx, mk/extra/lx.mk).
.PHONY: figures-lx
figures-lx:
	@mkdir -p $(FIGURES_DIR)
	@$(MAKE) --no-print-directory bench-lx BENCH_LX_JSON=$(FIGURES_DIR)/lx-$(ARCH).json >/dev/null

# bench-vm-smoke leaves the VM results in $(FIGURES_DIR) after checking its claims.
figures-fresh: bench-vm-smoke figures-ipc figures-boot figures-storage figures-lx

check-figures: figures-fresh
	@$(PYTHON) tools/check-figures --fresh $(FIGURES_DIR) --results $(RESULTS)

figures: figures-fresh
	@$(PYTHON) tools/check-figures --fresh $(FIGURES_DIR) --update
	@$(PYTHON) tools/check-figures

check-figures-selftest:
	@$(PYTHON) tools/check-figures --self-test --results $(RESULTS)

CHECK_TARGETS += check-figures check-figures-selftest
EXTRA_HELP += "check-figures  IPC and VM benchmarks re-run; fail if a committed figure differs (in make check)"
EXTRA_HELP += "figures        re-run them and refresh bench/results/ and every marked figure in the docs"
EXTRA_HELP += "check-figures-selftest  the figure checker fails on doctored copies (in make check)"
