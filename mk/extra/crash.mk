# The ext2 crash test (tools/crashtest.py, user/crashwl; docs/storage.md, "The
# crash test"): boots Weft writing an ext2 disk through vblk and the file server,
# kills QEMU mid-write, then e2fsck -p must repair the disk without questions and
# every synced round's file must be intact.
#
#   make crashtest-selftest   the checker on images made by mke2fs -d (no QEMU)
#   make check-crash          CRASH_RUNS crashes of the built system; its boot
#                             configuration must start vblk and crashwl (sees=fs,vblk:
#                             it mounts the disk itself)
CRASH_RUNS ?= 3
CRASH_QEMU  = $(QEMU) $(QEMU_BASE) -m $(QEMU_MEM) -serial stdio -monitor none \
              -kernel $(KERNEL) -initrd $(INITRAMFS)

.PHONY: crashtest-selftest check-crash
crashtest-selftest: $(DEPS_STAMP)
	@$(PYTHON) tools/crashtest.py --self-test

check-crash: $(KERNEL) $(INITRAMFS) $(DEPS_STAMP)
	@$(PYTHON) tools/crashtest.py --runs $(CRASH_RUNS) -- $(CRASH_QEMU)

EXTRA_HELP += "check-crash    crash Weft while it writes an ext2 disk, check the disk (e2fsck, contents)"
