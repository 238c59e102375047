# The scripted system test (tools/systest.py, tests/system/shell.script): boots
# the production kernel and initramfs as `make run` does, but with the serial
# console on a pipe, types the script's commands into the shell and checks its
# answers (docs/userspace.md, "The shell").
#
#   make check-system        for this ARCH, CLUSTER_ORDER and DEBUG
#
# It is one of GUEST_CHECKS: check-guest runs it for every cluster order.
SYSTEST_SCRIPT := tests/system/shell.script
SYSTEST_QEMU   := $(QEMU) $(QEMU_BASE) -m $(QEMU_MEM) -serial stdio -monitor none \
                  -kernel $(KERNEL) -initrd $(INITRAMFS)

.PHONY: check-system
check-system: $(KERNEL) $(INITRAMFS) $(DEPS_STAMP)
	@$(PYTHON) tools/systest.py $(SYSTEST_SCRIPT) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-system \
	    --log $(BUILD)/system.log --results $(RESULTS) -- $(SYSTEST_QEMU)
	@$(PYTHON) tools/systest.py tests/system/reboot.script \
	    --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-system-reboot --log $(BUILD)/system-reboot.log \
	    --results $(RESULTS) -- $(SYSTEST_QEMU)

GUEST_CHECKS += check-system
EXTRA_HELP += "check-system   the shell's scripted system test over the serial console"
