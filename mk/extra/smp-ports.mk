# Several CPUs on the ports (docs/smp.md; decisions 149 and 157).
#
#   make check-guest-aarch64-smp ARCH=aarch64   the self-tests at -smp 2 and 4
#                          (GICv2, PSCI by hvc) and at -smp 2 on GICv3 entered
#                          at EL2 (PSCI by smc, the stub's drop to EL1)
#   make check-guest-riscv64-smp ARCH=riscv64   the self-tests at -smp 2 and 4
#                          (Sstc) and at -smp 2 with the SBI timer
#   make check-guest-aarch64-smp-user ARCH=aarch64
#   make check-guest-riscv64-smp-user ARCH=riscv64
#                          the whole user suite on the production kernel at
#                          -smp 2 and its smp/ tests (user/test/t_smp.c) at
#                          -smp 4 (GICv2 on aarch64); the ports' utest boots
#                          run it at one CPU
#
# Each in its port's ARCH_GUEST_CHECKS (make check-guest ARCH=...). Every CPU
# must come online and the thread test must run (not skip): a thread placed
# on each other CPU runs there and is moved back while it runs
# (kernel/test/smp_thread_ktest.c). In the user boots the tests that need two
# CPUs must run, not skip: the device interrupt's driver on the last CPU
# (smp/device_interrupt_wakes_its_driver_on_another_cpu) stands for them.

SMP_PORT_THREAD_TEST := '^ok [0-9]+ - smp/a_thread_runs_on_each_cpu_and_is_moved_back_while_it_runs$$'
SMP_PORT_USER_TEST   := '^ok [0-9]+ - smp/device_interrupt_wakes_its_driver_on_another_cpu$$'
# One boot of the user suite at $(1) CPUs: the tests selected by UTEST, else
# by $(2) (empty: all of them), with $(3) more on the command line and $(4)
# more expectations. SMP_PORT_QEMU is the port's QEMU command line before
# -smp, SMP_PORT_INITRAMFS its utest initramfs.
SMP_PORT_USER_BOOT = $(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-user-smp$(1) \
	        --log $(BUILD)/user-smp$(1).log --exit-code 1 --timeout 600 \
	        --expect '^utest: suite done, 0 failed' --expect "^smp: $(1) of $(1) CPUs online" \
	        $(if $(UTEST),,--expect $(SMP_PORT_USER_TEST)) $(4) \
	        -- $(SMP_PORT_QEMU) -smp $(1) -serial stdio -monitor none -kernel $(KERNEL_IMG) $(3) \
	        -nic none -m 256M -initrd $(SMP_PORT_INITRAMFS) \
	        -append "init=utest$(if $(or $(UTEST),$(2)), utest=$(or $(UTEST),$(2)))"
# The whole suite at -smp 2, with the pattern disk and the rng its pcibus/,
# vblk/, vrng/ and ext2fs/ tests read (as the one-CPU boot); its smp/ tests
# at -smp 4.
SMP_PORT_USER_RUN = $(call SMP_PORT_USER_BOOT,2,,$(QEMU_TEST_DISK) $(QEMU_TEST_RNG),$(USER_DISK_EXPECT)) \
	&& $(call SMP_PORT_USER_BOOT,4,smp/,,)

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
check-guest-aarch64-smp-user: $(KERNEL_IMG) $(A64_UTEST_INITRAMFS) $$(TEST_DISK) $(DEPS_STAMP)
	@$(SMP_PORT_USER_RUN)
ARCH_GUEST_CHECKS += check-guest-aarch64-smp-user
EXTRA_HELP += "check-guest-aarch64-smp-user (ARCH=aarch64) the whole user suite at -smp 2, its smp/ tests at 4"
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
check-guest-riscv64-smp-user: $(KERNEL_IMG) $(RV_UTEST_INITRAMFS) $$(TEST_DISK) $(DEPS_STAMP)
	@$(SMP_PORT_USER_RUN)
ARCH_GUEST_CHECKS += check-guest-riscv64-smp-user
EXTRA_HELP += "check-guest-riscv64-smp-user (ARCH=riscv64) the whole user suite at -smp 2, its smp/ tests at 4"
endif
