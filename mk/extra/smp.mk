# Several CPUs (docs/smp.md, decision 129).
#
#   make check-guest-smp   the self-tests with 2 and 4 CPUs (every CPU online,
#                          IPIs under the kernel lock, every CPU's timer; the
#                          rest of the suite as at one CPU), and the user suite
#                          with 2 and 4 CPUs (its smp/ tests run threads on
#                          every CPU; at one CPU, check-user, they skip what
#                          needs two); in check-guest. The user suite gets
#                          300 s there at 2 CPUs, 900 s at 4: under TCG on a
#                          host with fewer cores than vCPUs the kernel lock
#                          convoys (docs/perf/smp.md), and at 4 vCPUs on the
#                          loaded 2-core host the suite has taken over 300 s.
#                          The stress test fails by itself once nothing moves
#                          for 60 s, naming the threads left
#   QEMU_SMP=N             boots every in-guest test of this make with N CPUs
#                          (make check-guest QEMU_SMP=2)
#
# x86-64's; aarch64's and riscv64's runs are in mk/extra/smp-ports.mk.

SMP_KTEST_CPUS := 2 4
SMP_USER_CPUS  := 2 4

ifneq ($(QEMU_SMP),)
QEMU_KTEST += -smp $(QEMU_SMP)
QEMU_TESTK += -smp $(QEMU_SMP)
endif

.PHONY: check-guest-smp
check-guest-smp: $(KERNEL_TEST) $(KERNEL) $(INITRAMFS) $(TEST_DISK) $(DEPS_STAMP)
	@set -e; for n in $(SMP_KTEST_CPUS); do \
	    $(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-smp$$n --log $(BUILD)/smp$$n.log \
	        --exit-code 1 -- $(QEMU_KTEST) -smp $$n -m 128M -append "ktest ktest.cpus=$$n"; \
	done
	@set -e; for n in $(SMP_USER_CPUS); do \
	    $(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-user-smp$$n \
	        --log $(BUILD)/user-smp$$n.log --timeout $$((n > 2 ? 900 : 300)) $(USER_EXIT) \
	        --expect '^utest: suite done, 0 failed' \
	        --expect "smp: $$n of $$n CPUs online" \
	        -- $(QEMU_TESTK) $(QEMU_TEST_DISK) $(QEMU_TEST_RNG) -smp $$n -m 256M \
	        -append "init=utest"; \
	done

# Debug builds report a CPU taking the kernel lock it holds (sched/smp.h):
# ktest.fault=klock does so on the boot CPU, and the report must be a panic
# naming it, at -smp 2 (a release build would hang: it checks nothing, so
# the check is for debug builds only).
.PHONY: check-guest-klock
check-guest-klock: $(KERNEL_TEST) $(INITRAMFS) $(DEPS_STAMP)
	@$(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-fault-klock --log $(BUILD)/fault-klock.log \
	    --no-plan --expect-panic --exit-code 3 \
	    --expect 'PANIC .*kernel lock: CPU 0 takes the lock it holds \(recursion\)' \
	    --expect 'System halted' -- $(QEMU_KTEST) -smp 2 -m 64M -append "ktest.fault=klock"

ifeq ($(VARIANT),)
GUEST_CHECKS += check-guest-klock
endif
GUEST_CHECKS += check-guest-smp
EXTRA_HELP += "check-guest-smp  self-tests and the user suite at -smp 2 and 4 (docs/smp.md)"
EXTRA_HELP += "check-guest-klock  debug builds: taking the kernel lock held is a panic (docs/smp.md)"

# Figures across CPUs in guest instructions (docs/perf/smp.md): under -icount
# shift=0,sleep=off QEMU runs the vCPUs round robin in one thread and the
# counter is every vCPU's instructions, so they are the same on every run.
#   - the release test kernel of bench-ipc at -smp 2 and 4 with ktest=bench_smp/
#     (kernel/test/arch/x86_64/bench_smp_ktest.c: IPC across CPUs, and on one CPU beside a
#     busy one);
#   - the release kernel and user suite at -smp 4 with utest=smp/unmap_cost
#     (user/test/t_smp.c: an Unmap of a page touched on 1, 2 and 4 CPUs);
#
#   make bench-smp        -> bench/results/smp-x86_64.json
#   make check-figures    re-runs it (figures-smp) and compares
#   make bench-smp-linux  the Linux guest (bench-linux.mk) at -smp 4 running
#                         bench/linux/smpunmap.c, the same munmap, ->
#                         bench/results/linux-smp-x86_64.json (recorded, not
#                         re-measured by check-figures). The kernel starts with
#                         maxcpus=1 and /init brings the other CPUs online: under
#                         -icount QEMU 7.2 never gives a CPU the kernel starts at
#                         boot a turn (docs/perf/smp.md). Not in bench-smp
SMP_BENCH_CPUS   := 2,4
SMP_BENCH_QEMU    = $(QEMU) $(QEMU_BASE) $(QEMU_TEST_DEV) $(QEMU_ICOUNT) -serial stdio \
                    -monitor none -m 256M
SMP_BENCH_TESTK  := build/bench-ipc-c4/weft-test.elf
SMP_BENCH_REL    := build/$(ARCH)-c4-release
SMP_BENCH_WEFT    = --test-kernel $(SMP_BENCH_TESTK) --cpus $(SMP_BENCH_CPUS) \
                    --user $(SMP_BENCH_REL)/weft.elf $(SMP_BENCH_REL)/initramfs.cpio
LINUX_SMP_CPIO   := $(LINUX_DIR)/initramfs-smp.cpio
LINUX_SMP_CMDLINE := $(LINUX_CMDLINE) maxcpus=1
LINUX_SMP_QEMU    = $(QEMU) $(QEMU_BASE) $(QEMU_TEST_DEV) $(QEMU_ICOUNT) -serial stdio \
                    -monitor none -m $(LINUX_MEM)

$(LINUX_SMP_CPIO): $(LINUX_DIR)/bin/init $(LINUX_DIR)/bin/smpunmap tools/mkcpio.py
	@printf 'smpunmap\n' > $(LINUX_DIR)/smp-list
	@$(PYTHON) tools/mkcpio.py -o $@ init=$(LINUX_DIR)/bin/init \
	    bench/smpunmap=$(LINUX_DIR)/bin/smpunmap bench/list=$(LINUX_DIR)/smp-list

.PHONY: bench-smp bench-smp-weft bench-smp-linux figures-smp
bench-smp-weft: bench-ipc-kernels $(DEPS_STAMP)
	@$(MAKE) --no-print-directory DEBUG=0 CLUSTER_ORDER=4 kernel initramfs

bench-smp: bench-smp-weft
	$(PYTHON) bench/smp/run.py --qemu "$(SMP_BENCH_QEMU)" $(SMP_BENCH_WEFT) \
	    --json bench/results/smp-$(ARCH).json

bench-smp-linux: bench-linux-kernel $(LINUX_SMP_CPIO)
	$(PYTHON) bench/smp/run.py --qemu "$(LINUX_SMP_QEMU)" \
	    --linux $(LINUX_DIR)/vmlinuz $(LINUX_SMP_CPIO) --linux-append "$(LINUX_SMP_CMDLINE)" \
	    --json bench/results/linux-smp-$(ARCH).json

figures-smp: bench-smp-weft
	@mkdir -p $(FIGURES_DIR)
	@$(PYTHON) bench/smp/run.py --qemu "$(SMP_BENCH_QEMU)" $(SMP_BENCH_WEFT) \
	    --json $(FIGURES_DIR)/smp-$(ARCH).json >/dev/null
figures-fresh: figures-smp

BENCH_TARGETS += bench-smp
EXTRA_HELP += "bench-smp      IPC and Unmap across CPUs in guest instructions (docs/perf/smp.md)"
EXTRA_HELP += "bench-smp-linux  the Linux guest's munmap of a page touched on 1, 2, 4 CPUs (docs/perf/smp.md)"

# X86_PCID=1 (decision 174, off by default) stays built and tested: the test
# image built with it in a folder of its own (so the default kernel's objects
# do not rebuild), booted once at -smp 2 with the self-tests (its
# x86/pcid_... test, the shootdown and thread tests across CPUs); in `make
# check`. QEMU's TCG has no PCID: this checks the per-CPU table and the CPU
# masks, not the no-flush loads (docs/decisions/174-x86-pcids-stay-off.md).
ifeq ($(ARCH),x86_64)
PCID_BUILD := build/$(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-pcid
.PHONY: check-guest-pcid
check-guest-pcid: $(INITRAMFS) $(DEPS_STAMP)
	@$(MAKE) --no-print-directory kernel-test X86_PCID=1 BUILD=$(PCID_BUILD)
	@$(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-pcid-smp2 --log $(PCID_BUILD)/smp2.log \
	    --exit-code 1 -- $(subst $(KERNEL_TEST),$(PCID_BUILD)/weft-test.elf,$(QEMU_KTEST)) \
	    -smp 2 -m 128M -append "ktest ktest.cpus=2"
CHECK_TARGETS += check-guest-pcid
EXTRA_HELP += "check-guest-pcid  the X86_PCID=1 test image's self-tests at -smp 2 (decision 174)"
EXTRA_HELP += "X86_PCID=1     x86-64: tag TLB entries with a PCID per VSpace (decision 174; off by default)"
endif
