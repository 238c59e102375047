# The ext2 crash test (tools/crashtest.py, user/crashwl; docs/storage.md, "The
# crash test"): boots the production kernel with init.run=crashwl, so init starts
# pcibus, vblk and the file server from user/init/boot.conf and then the workload,
# which mounts the disk (ext2 on vblk) itself and writes round after round; QEMU is
# killed mid-write, then e2fsck -p must repair the disk without questions (what
# e2fsck -n found is printed) and every synced round's file must be intact.
#
#   make crashtest-selftest   the checker on images made by mke2fs -d (no QEMU)
#   make check-crash          the self-test, then CRASH_RUNS crashes of the built system (one of
#                             GUEST_CHECKS: every cluster order in make check)
CRASH_RUNS ?= 3
CRASH_ARGS ?= --min-rounds 3 --max-rounds 20 --size 8M --timeout 60
CRASH_QEMU  = $(QEMU) $(QEMU_BASE) -m $(QEMU_MEM) -serial stdio -monitor none \
              -kernel $(KERNEL) -initrd $(INITRAMFS) -append init.run=crashwl

.PHONY: crashtest-selftest check-crash
crashtest-selftest: $(DEPS_STAMP)
	@$(PYTHON) tools/crashtest.py --self-test

check-crash: $(KERNEL) $(INITRAMFS) $(DEPS_STAMP)
	@$(PYTHON) tools/crashtest.py --self-test $(if $(RESULTS),--results $(RESULTS) \
	    --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-crash-selftest) > $(BUILD)/crash-selftest.log; \
	    rc=$$?; echo "crashtest self-test: $$(tail -n 1 $(BUILD)/crash-selftest.log)"; exit $$rc
	@$(PYTHON) tools/crashtest.py --runs $(CRASH_RUNS) $(CRASH_ARGS) --log $(BUILD)/crash.log \
	    $(if $(RESULTS),--results $(RESULTS) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-crash) \
	    -- $(CRASH_QEMU)

GUEST_CHECKS += check-crash
EXTRA_HELP += "check-crash    crash Weft while it writes an ext2 disk on vblk, check the disk (e2fsck, debugfs)"
