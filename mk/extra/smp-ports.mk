# Several CPUs on the ports (docs/smp.md; decisions 149 and 157).
#
#   make check-guest-aarch64-smp ARCH=aarch64   the self-tests at -smp 2 and 4
#                          (GICv2, PSCI by hvc) and at -smp 2 on GICv3 entered
#                          at EL2 (PSCI by smc, the stub's drop to EL1)
#   make check-guest-riscv64-smp ARCH=riscv64   the self-tests at -smp 2 and 4
#                          (Sstc) and at -smp 2 with the SBI timer
#   make check-guest-aarch64-smp-user ARCH=aarch64
#   make check-guest-riscv64-smp-user ARCH=riscv64
#                          the user suite's smp/ tests (user/test/t_smp.c) on
#                          the production kernel at -smp 2 and 4 (GICv2 on
#                          aarch64); the suite's other tests run at one CPU in
#                          the ports' utest boots
#
# Each in its port's ARCH_GUEST_CHECKS (make check-guest ARCH=...). Every CPU
# must come online and the thread test must run (not skip): a thread placed
# on each other CPU runs there and is moved back while it runs
# (kernel/test/smp_thread_ktest.c). In the user boots the tests that need two
# CPUs must run, not skip: the device interrupt's driver on the last CPU
# (smp/device_interrupt_wakes_its_driver_on_another_cpu) stands for them.

SMP_PORT_THREAD_TEST := '^ok [0-9]+ - smp/a_thread_runs_on_each_cpu_and_is_moved_back_while_it_runs$$'
SMP_PORT_USER_CPUS   := 2 4
SMP_PORT_USER_TEST   := '^ok [0-9]+ - smp/device_interrupt_wakes_its_driver_on_another_cpu$$'
# The user suite's smp/ tests at each of SMP_PORT_USER_CPUS: SMP_PORT_QEMU is
# the port's QEMU command line before -smp, SMP_PORT_INITRAMFS its utest
# initramfs.
SMP_PORT_USER_RUN = set -e; for n in $(SMP_PORT_USER_CPUS); do \
	    $(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-user-smp$$n \
	        --log $(BUILD)/user-smp$$n.log --exit-code 1 --timeout 300 \
	        --expect '^utest: suite done, 0 failed' --expect "^smp: $$n of $$n CPUs online" \
	        $(if $(UTEST),,--expect $(SMP_PORT_USER_TEST)) \
	        -- $(SMP_PORT_QEMU) -smp $$n -serial stdio -monitor none -kernel $(KERNEL_IMG) -nic none \
	        -m 256M -initrd $(SMP_PORT_INITRAMFS) -append "init=utest utest=$(or $(UTEST),smp/)"; \
	done

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

SMP_PORT_QEMU       = $(QEMU) $(QEMU_BASE) $(QEMU_TEST_DEV)
SMP_PORT_INITRAMFS  = $(A64_UTEST_INITRAMFS)
.PHONY: check-guest-aarch64-smp-user
check-guest-aarch64-smp-user: $(KERNEL_IMG) $(A64_UTEST_INITRAMFS) $(DEPS_STAMP)
	@$(SMP_PORT_USER_RUN)
ARCH_GUEST_CHECKS += check-guest-aarch64-smp-user
EXTRA_HELP += "check-guest-aarch64-smp-user (ARCH=aarch64) the user suite's smp/ tests at -smp 2 and 4"
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

SMP_PORT_QEMU       = $(QEMU) $(QEMU_BASE) $(QEMU_TEST_DEV)
SMP_PORT_INITRAMFS  = $(RV_UTEST_INITRAMFS)
.PHONY: check-guest-riscv64-smp-user
check-guest-riscv64-smp-user: $(KERNEL_IMG) $(RV_UTEST_INITRAMFS) $(DEPS_STAMP)
	@$(SMP_PORT_USER_RUN)
ARCH_GUEST_CHECKS += check-guest-riscv64-smp-user
EXTRA_HELP += "check-guest-riscv64-smp-user (ARCH=riscv64) the user suite's smp/ tests at -smp 2 and 4"
endif
