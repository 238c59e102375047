# The VM benchmark (kernel/arch/x86_64/vm_bench.c): the kernel booted with
# kbench=vm under -icount shift=0,sleep=off, once per CLUSTER_ORDER; a ring-3
# loop first-touches 64 MiB of an anonymous VMO, then it is cloned copy-on-write
# and written again. rdtsc deltas are guest instructions (TESTING.md).
#
#   make bench-vm         CLUSTER_ORDER=0 and 4 side by side: bench/results/vm-x86_64.json,
#                         the table printed for docs/perf/vm.md
#   make bench-vm-smoke   the same boots, checking the claims that must hold
#                         (promotion share, faults per MiB, usage back to zero); in make check

BENCH_VM_ORDERS := 0 4
BENCH_VM_QEMU    = $(QEMU) $(QEMU_BASE) $(QEMU_TEST_DEV) -serial stdio -monitor none \
                   $(QEMU_ICOUNT) -m 512M -append kbench=vm -kernel

# Boots each order's kernel and collects its JSON lines into $(1).
define bench_vm_run
	@rm -f $(1); set -e; for o in $(BENCH_VM_ORDERS); do \
	    $(MAKE) --no-print-directory kernel-test CLUSTER_ORDER=$$o >/dev/null; \
	    log=build/x86_64-c$$o/bench-vm.log; \
	    timeout 300 $(BENCH_VM_QEMU) build/x86_64-c$$o/weft-test.elf > $$log 2>&1 || true; \
	    grep -q '^kbench: done' $$log || { cat $$log; echo "bench-vm: c$$o did not finish"; exit 1; }; \
	    grep '^{"bench":"vm"' $$log >> $(1); \
	done
endef

.PHONY: bench-vm bench-vm-smoke
bench-vm: $(DEPS_STAMP)
	$(call bench_vm_run,build/bench-vm.jsonl)
	@mkdir -p bench/results
	@$(PYTHON) bench/vm/report.py build/bench-vm.jsonl --json bench/results/vm-x86_64.json

bench-vm-smoke: $(DEPS_STAMP)
	$(call bench_vm_run,build/bench-vm-smoke.jsonl)
	@$(PYTHON) bench/vm/report.py build/bench-vm-smoke.jsonl --check --results $(RESULTS)

BENCH_TARGETS += bench-vm
CHECK_TARGETS += bench-vm-smoke
EXTRA_HELP += "bench-vm       VM: first touch of 64 MiB, COW clone+write, CLUSTER_ORDER=0 vs 4 (docs/perf/vm.md)"
EXTRA_HELP += "bench-vm-smoke the VM benchmark's claims checked (in make check)"
