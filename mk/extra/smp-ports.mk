# Several CPUs on the ports (docs/smp.md; decisions 149 and 157).
#
#   make check-guest-aarch64-smp ARCH=aarch64   the self-tests at -smp 2 and 4
#                          (GICv2, PSCI by hvc) and at -smp 2 on GICv3 entered
#                          at EL2 (PSCI by smc, the stub's drop to EL1)
#   make check-guest-riscv64-smp ARCH=riscv64   the self-tests at -smp 2 and 4
#                          (Sstc) and at -smp 2 with the SBI timer
#
# Each in its port's ARCH_GUEST_CHECKS (make check-guest ARCH=...). Every CPU
# must come online and the thread test must run (not skip): a thread placed
# on each other CPU runs there and is moved back while it runs
# (kernel/test/smp_thread_ktest.c).

SMP_PORT_THREAD_TEST := '^ok [0-9]+ - smp/a_thread_runs_on_each_cpu_and_is_moved_back_while_it_runs$$'

ifeq ($(ARCH),aarch64)
# name:CPUs:machine
A64_SMP_RUNS := smp2:2:virt smp4:4:virt smp2-gicv3-el2:2:virt,gic-version=3,virtualization=on
# The lazy FP/SIMD state fetched from the CPU it is live on (decision 149).
A64_SMP_FPU_TEST := '^ok [0-9]+ - aarch64/fpsimd_state_live_on_another_cpu_is_fetched$$'

.PHONY: check-guest-aarch64-smp
check-guest-aarch64-smp: $(KERNEL_TEST_IMG) $(DEPS_STAMP)
	@set -e; for r in $(A64_SMP_RUNS); do \
	    name=$${r%%:*}; rest=$${r#*:}; n=$${rest%%:*}; machine=$${rest#*:}; \
	    $(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-$$name --log $(BUILD)/$$name.log \
	        --exit-code 1 --expect "^smp: $$n of $$n CPUs online" --expect $(SMP_PORT_THREAD_TEST) \
	        --expect $(A64_SMP_FPU_TEST) \
	        -- $(A64_QEMU_KTEST) -machine $$machine -smp $$n -m 128M \
	        -append "ktest ktest.cpus=$$n"; \
	done
ARCH_GUEST_CHECKS += check-guest-aarch64-smp
EXTRA_HELP += "check-guest-aarch64-smp (ARCH=aarch64) self-tests at -smp 2 and 4 (docs/smp.md)"
endif

ifeq ($(ARCH),riscv64)
# name:harts[:more of the command line]
RV_SMP_RUNS := smp2:2 smp4:4 smp2-sbi-timer:2:timer=pit

.PHONY: check-guest-riscv64-smp
check-guest-riscv64-smp: $(KERNEL_TEST_IMG) $(DEPS_STAMP)
	@set -e; for r in $(RV_SMP_RUNS); do \
	    name=$${r%%:*}; rest=$${r#*:}; n=$${rest%%:*}; extra=$${rest#$$n}; \
	    $(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-$$name --log $(BUILD)/$$name.log \
	        --exit-code 1 --expect "^smp: $$n of $$n CPUs online" --expect $(SMP_PORT_THREAD_TEST) \
	        -- $(RV_QEMU_KTEST) -smp $$n -m 128M -append "ktest ktest.cpus=$$n $${extra#:}"; \
	done
ARCH_GUEST_CHECKS += check-guest-riscv64-smp
EXTRA_HELP += "check-guest-riscv64-smp (ARCH=riscv64) self-tests at -smp 2 and 4 (docs/smp.md)"
endif
