# init's supervision test (docs/userspace.md, "Supervision"): the production
# kernel boots the initramfs with init.run=svtest, so init starts the servers of
# user/init/boot.conf and then user/svtest, which kills each server through the
# init protocol, checks that init restarts it and that clients get it back,
# faults on purpose and checks its own restart, all as TAP; init halts once
# svtest has exited (status 0 when it passed). In a release build (DEBUG=0) init
# cannot halt the machine: the run ends when the plan is complete.
.PHONY: check-supervision
check-supervision: $(KERNEL) $(INITRAMFS) $(DEPS_STAMP)
	@$(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-supervision --log $(BUILD)/supervision.log \
	    $(if $(VARIANT),,--exit-code 1) --expect '^init: test run done: all exited 0' \
	    --reject '^init: .*(FAILED|restart failed)' \
	    -- $(QEMU_TESTK) -m 256M -append "init.run=svtest"
GUEST_CHECKS += check-supervision
EXTRA_HELP += "check-supervision  init's supervision test: servers killed and restarted (user/svtest)"
