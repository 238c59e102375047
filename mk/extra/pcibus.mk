# The drivers under supervision (docs/devices.md, "The PCI bus server";
# decision 120): the production kernel boots the initramfs with a virtio-blk
# disk and a virtio-rng device and init.run=drvtest, so init starts pcibus,
# vblk and vrng (as rng) from user/init/boot.conf like any server, then
# user/drvtest, which checks the bus server's refusals, writes and flushes
# sectors, kills vblk while a Read is in flight (CANCELLED), sees init restart
# it and the driver claim its disk again, reconnects and reads the flushed
# data back. init halts once drvtest has exited (status 0 when it passed).
# A second boot without the devices: both drivers exit with status 69 and
# init does not restart them (drvtest skips its tests).
.PHONY: check-drivers
check-drivers: $(KERNEL) $(INITRAMFS) $(TEST_DISK) $(DEPS_STAMP)
	@$(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-drivers --log $(BUILD)/drivers.log \
	    $(if $(VARIANT),,--exit-code 1) --expect '^init: test run done: all exited 0' \
	    --expect '^ok [0-9]+ - drv/kill_vblk_mid_read_cancels_and_acknowledged_data_survives$$' \
	    --reject '^init: .*(FAILED|restart failed)' --reject '# SKIP' \
	    -- $(QEMU_TESTK) $(QEMU_TEST_DISK) $(QEMU_TEST_RNG) -m 256M -append "init.run=drvtest"
	@$(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-drivers-absent \
	    --log $(BUILD)/drivers-absent.log $(if $(VARIANT),,--exit-code 1) \
	    --expect '^init: test run done: all exited 0' \
	    --expect '^init: vblk has nothing to serve: not restarted' \
	    --expect '^init: vrng has nothing to serve: not restarted' \
	    --reject '(vblk|vrng) restarted' --reject '^init: .*(FAILED|restart failed)' \
	    -- $(QEMU_TESTK) -m 256M -append "init.run=drvtest"
GUEST_CHECKS += check-drivers
EXTRA_HELP += "check-drivers  pcibus, vblk and rng under init: vblk killed mid-Read and restarted (user/drvtest)"
