# Several CPUs (docs/smp.md, decision 129).
#
#   make check-guest-smp   the self-tests with 2 and 4 CPUs (every CPU online,
#                          IPIs under the kernel lock, every CPU's timer; the
#                          rest of the suite as at one CPU), and the user suite
#                          with 2 and 4 CPUs (its smp/ tests run threads on
#                          every CPU; at one CPU, check-user, they skip what
#                          needs two); in check-guest. The user suite gets
#                          300 s there: under TCG on a host with fewer cores
#                          than vCPUs the kernel lock convoys (docs/perf/smp.md)
#   QEMU_SMP=N             boots every in-guest test of this make with N CPUs
#                          (make check-guest QEMU_SMP=2)

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
	        --log $(BUILD)/user-smp$$n.log --timeout 300 $(USER_EXIT) \
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

# IPC across CPUs in guest instructions (kernel/test/bench_smp_ktest.c,
# docs/perf/smp.md): the release test kernel of bench-ipc booted at -smp 2 and
# 4 under -icount shift=0,sleep=off, where the counter is every vCPU's
# instructions and the figures are the same on every run.
#
#   make bench-smp   -> bench/results/smp-x86_64.json; check-figures re-runs it
SMP_BENCH_CPUS := 2,4
SMP_BENCH_QEMU  = $(QEMU) $(QEMU_BASE) $(QEMU_TEST_DEV) $(QEMU_ICOUNT) -serial stdio \
                  -monitor none -m 128M
SMP_BENCH_KERNEL := build/bench-ipc-c4/weft-test.elf

.PHONY: bench-smp figures-smp
bench-smp: bench-ipc-kernels $(DEPS_STAMP)
	$(PYTHON) bench/smp/run.py --qemu "$(SMP_BENCH_QEMU)" --cpus $(SMP_BENCH_CPUS) \
	    --kernel $(SMP_BENCH_KERNEL) --json bench/results/smp-$(ARCH).json

figures-smp: bench-ipc-kernels $(DEPS_STAMP)
	@mkdir -p $(FIGURES_DIR)
	@$(PYTHON) bench/smp/run.py --qemu "$(SMP_BENCH_QEMU)" --cpus $(SMP_BENCH_CPUS) \
	    --kernel $(SMP_BENCH_KERNEL) --json $(FIGURES_DIR)/smp-$(ARCH).json >/dev/null
figures-fresh: figures-smp

BENCH_TARGETS += bench-smp
EXTRA_HELP += "bench-smp      IPC across CPUs in guest instructions, -smp 2 and 4 (docs/perf/smp.md)"
