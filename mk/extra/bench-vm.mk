# The VM benchmark (user/bench/vm.c, docs/perf/vm.md): for each CLUSTER_ORDER the
# kernel boots with the initramfs under -icount shift=0,sleep=off and the
# command line "init=utest bench=vm": utest, the root task, starts the program
# benchvm as an ordinary process, which first-touches 64 MiB of an anonymous VMO from user mode, clones it
# copy-on-write and writes it again, and prints its figures as JSON lines. Counter
# deltas are guest instructions (user/bench/bench_arch.h: x86-64's rdtsc, the
# ports' CLOCK system call; docs/perf/vm.md).
#
#   make bench-vm         CLUSTER_ORDER=0 and 4 side by side: bench/results/vm-ARCH.json,
#                         the table printed for docs/perf/vm.md (make figures then
#                         refreshes the figures the docs quote); on aarch64 and
#                         riscv64 then the kernel-level table (bench-vm-kernel)
#   make bench-vm-kernel  the kernel-level figures on any ARCH (x86-64's too):
#                         kernel/test/bench_vm_ktest.c, CLUSTER_ORDER=0 and 4
#   make bench-vm-smoke   the same boots, checking the claims that must hold
#                         (promotion share, faults per MiB, usage back to zero);
#                         leaves the fresh results in build/figures/ for
#                         check-figures (mk/extra/figures.mk), which runs it in make
#                         check (the ports' through figures-ports)
#
# What one order's boot needs (the port's make file sets them): the targets that
# build its kernel and initramfs, and their files under build/ARCH-cO/.
BENCH_VM_IMAGES ?= kernel initramfs
BENCH_VM_KERNEL ?= weft.elf
BENCH_VM_INITRD ?= initramfs.cpio

BENCH_VM_ORDERS := 0 4
BENCH_VM_QEMU    = $(QEMU) $(QEMU_BASE) $(QEMU_TEST_DEV) $(BENCH_VM_KERNEL_QEMU) -serial stdio \
                   -monitor none $(QEMU_ICOUNT) -m 1G -append "init=utest bench=vm"
BENCH_VM_FRESH  := build/figures/vm-$(ARCH).json

# Boots each order's kernel and initramfs and collects the JSON lines into $(1).
define bench_vm_run
	@rm -f $(1); mkdir -p $(dir $(1)); set -e; for o in $(BENCH_VM_ORDERS); do \
	    b=build/$(ARCH)-c$$o; \
	    $(MAKE) --no-print-directory $(BENCH_VM_IMAGES) CLUSTER_ORDER=$$o >/dev/null; \
	    log=$$b/bench-vm.log; \
	    timeout 300 $(BENCH_VM_QEMU) -kernel $$b/$(BENCH_VM_KERNEL) -initrd $$b/$(BENCH_VM_INITRD) \
	        > $$log 2>&1 || true; \
	    grep -q '^bench: done, 0 failed' $$log || { cat $$log; echo "bench-vm: c$$o did not finish"; exit 1; }; \
	    grep '^{"bench":"vm"' $$log >> $(1); \
	done
endef

.PHONY: bench-vm bench-vm-smoke bench-vm-kernel
bench-vm: $(DEPS_STAMP)
	$(call bench_vm_run,build/bench-vm-$(ARCH).jsonl)
	@mkdir -p bench/results
	@$(PYTHON) bench/vm/report.py --arch $(ARCH) build/bench-vm-$(ARCH).jsonl \
	    --json bench/results/vm-$(ARCH).json
# The ports: the kernel-level table after it (TLB entries per MiB: the page
# tables read back, which user mode cannot see).
ifneq ($(ARCH),x86_64)
	@$(MAKE) --no-print-directory bench-vm-kernel
endif

# The kernel-level figures (docs/perf/vm.md, "Per architecture"): a release
# test image per order boots with ktest=bench_vm/ under -icount shift=0, where
# the kernel's clock counts instructions; faults and TLB entries per MiB are
# counted, the same on every run. BENCH_VM_KERNEL_QEMU: the arch's extra flags
# (riscv64: a hart with Svnapot).
BENCH_VM_KERNEL_IMG = $(notdir $(or $(KERNEL_TEST_IMG),weft-test.elf))
bench-vm-kernel: $(DEPS_STAMP)
	@set -e; for o in $(BENCH_VM_ORDERS); do \
	    b=build/$(ARCH)-c$$o-release; mkdir -p $$b; \
	    $(MAKE) --no-print-directory ARCH=$(ARCH) DEBUG=0 CLUSTER_ORDER=$$o kernel-test >/dev/null; \
	    $(QTEST) --name $(ARCH)-c$$o-bench-vm-kernel --log $$b/bench-vm-kernel.log --exit-code 1 \
	        --expect "^# $(ARCH) CLUSTER_ORDER=$$o vm: " \
	        -- $(QEMU) $(QEMU_BASE) $(QEMU_TEST_DEV) $(BENCH_VM_KERNEL_QEMU) -serial stdio \
	        -monitor none -kernel $$b/$(BENCH_VM_KERNEL_IMG) -m 128M $(QEMU_ICOUNT) \
	        -append "ktest=bench_vm/" >/dev/null || { cat $$b/bench-vm-kernel.log; exit 1; }; \
	done; for o in $(BENCH_VM_ORDERS); do \
	    grep -h '^# $(ARCH) CLUSTER_ORDER' build/$(ARCH)-c$$o-release/bench-vm-kernel.log; done

bench-vm-smoke: $(DEPS_STAMP)
	$(call bench_vm_run,build/figures/vm-$(ARCH).jsonl)
	@$(PYTHON) bench/vm/report.py --arch $(ARCH) build/figures/vm-$(ARCH).jsonl --check \
	    --results $(RESULTS) --json $(BENCH_VM_FRESH)

BENCH_TARGETS += bench-vm
EXTRA_HELP += "bench-vm       VM: first touch of 64 MiB, COW clone+write, CLUSTER_ORDER=0 vs 4, any ARCH (docs/perf/vm.md)"
EXTRA_HELP += "bench-vm-kernel VM faults and TLB entries per MiB, kernel-level, any ARCH (docs/perf/vm.md)"
EXTRA_HELP += "bench-vm-smoke the VM benchmark's claims checked (in make check, through check-figures)"
