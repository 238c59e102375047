# The disk `make run` attaches (docs/storage.md, "A disk for make run"): an
# ext2 file system of 4 MiB made by mke2fs -d from examples/disk/, on a
# modern-only virtio-blk-pci function. Once the virtio-blk driver serves it as
# `vblk`, the shell mounts it: `mkdir /mnt`, `mount -t ext2 vblk /mnt`.
# Writes stay in the image ($(BUILD)/run-disk.img) until the folder changes.
#
#   make run-disk      build the image only
RUN_DISK_DIR := examples/disk
RUN_DISK     := $(BUILD)/run-disk.img
RUN_DISK_QEMU := -drive file=$(RUN_DISK),if=none,id=rundisk,format=raw \
                 -device virtio-blk-pci,drive=rundisk,disable-legacy=on

$(RUN_DISK): $(shell find $(RUN_DISK_DIR) 2>/dev/null) mk/extra/disk.mk
	@mkdir -p $(dir $@)
	@echo "  MKE2FS  $@"
	@rm -f $@ && truncate -s 4M $@
	@E2FSPROGS_FAKE_TIME=1 mke2fs -q -F -t ext2 -b 1024 -I 256 -U clear -E root_owner=0:0 \
	    -L weft -d $(RUN_DISK_DIR) $@

.PHONY: run-disk
run-disk: $(RUN_DISK)

# make run and make debug boot with it (a target-specific addition: the
# recipes in mk/test.mk stay as they are).
run debug: $(RUN_DISK)
run debug: QEMU_BASE += $(RUN_DISK_QEMU)
EXTRA_HELP += "run-disk       build the ext2 disk make run attaches ($(RUN_DISK), from examples/disk/)"

# ext2 on the disk under init, end to end (tests/system/ext2.script): the system
# test boots with a writable copy of a fresh ext2 image (not snapshot=on), the
# shell mounts it from `vblk`, changes files, restarts the driver under the
# mount, unmounts and powers off; then the host checks the image with
# e2fsck -fn and debugfs (tests/system/ext2-disk.sh check).
SYSTEM_EXT2_IMG := $(BUILD)/system-ext2.img

.PHONY: check-system-ext2
check-system-ext2: $(KERNEL) $(INITRAMFS) $(DEPS_STAMP)
	@sh tests/system/ext2-disk.sh make $(SYSTEM_EXT2_IMG)
	@$(PYTHON) tools/systest.py tests/system/ext2.script \
	    --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-system-ext2 --log $(BUILD)/system-ext2.log \
	    --results $(RESULTS) -- $(QEMU) $(QEMU_BASE) -m $(QEMU_MEM) -serial stdio -monitor none \
	    -kernel $(KERNEL) -initrd $(INITRAMFS) \
	    -drive file=$(SYSTEM_EXT2_IMG),if=none,id=sysdisk,format=raw \
	    -device virtio-blk-pci,drive=sysdisk,disable-legacy=on
	@sh tests/system/ext2-disk.sh check $(SYSTEM_EXT2_IMG) \
	    $(if $(RESULTS),$(RESULTS) $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-system-ext2-disk)

GUEST_CHECKS += check-system-ext2
EXTRA_HELP += "check-system-ext2  the shell mounts ext2 from vblk, changes files, vblk restarted; e2fsck -fn after"

# The page cache's memory figure (docs/perf/storage.md, "Page cache memory"): the
# file server's pool idle, with one 64 MiB file cached and after DropCaches, in a
# boot of the user suite with 1 GiB (the test is skipped in make check-user's 256 MiB).
.PHONY: figure-page-cache
figure-page-cache: $(KERNEL) $(INITRAMFS) $(DEPS_STAMP)
	@$(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)-page-cache --log $(BUILD)/page-cache.log \
	    --exit-code 1 --expect '^utest: suite done, 0 failed' \
	    --expect '^ok [0-9]+ - fscache/pool_usage_with_a_file_cached$$' \
	    -- $(QEMU_TESTK) -m 1G -append "init=utest utest=fscache/"
	@grep '^figure: page_cache' $(BUILD)/page-cache.log
EXTRA_HELP += "figure-page-cache  the file server's pool with a 64 MiB file cached and after the drop (docs/perf/storage.md)"
