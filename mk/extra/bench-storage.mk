# Weft's storage benchmark (user/sbench, docs/perf/storage.md, decision 140): the
# production system boots with init.run=sbench and the Linux guest's benchmark image
# (bench/linux/mkstorage.py, the same bytes) on a modern-only virtio-blk-pci function,
# in the same QEMU with the same flags as make bench-linux-storage (-machine pc -cpu
# max -smp 1, -icount shift=0,sleep=off, -m 1G, snapshot=on,cache=unsafe); sbench
# mounts it through the file server and vblk and prints its figures as JSON lines.
# CLUSTER_ORDER=0 and 4, as every Weft figure. The boot configuration is boot.conf
# with the file server's pool raised to SBENCH_FS_MEM (its page cache's limit).
#
#   make bench-storage     the full benchmark (64 MiB, 9 + 9 reads, 3 writes, 5 rounds
#                          of 1,000 files): bench/results/storage-x86_64.json, the table
#                          printed (minutes)
#   make figures-storage   the quick variant (user/sbench/quick.conf, seconds) into
#                          build/figures/storage-quick-x86_64.json, which check-figures
#                          compares with bench/results/storage-quick-x86_64.json
#   make check-sbench-collect   the collector's checks on canned logs (no QEMU; in make check)

SBENCH_ORDERS := 0 4
SBENCH_IMG    := build/linux/storage.img
SBENCH_QEMU    = $(QEMU) $(QEMU_BASE) $(QEMU_TEST_DEV) $(QEMU_ICOUNT) -serial stdio -monitor none \
                 -m 1G -drive file=$(SBENCH_IMG),if=none,id=d0,format=raw,snapshot=on,cache=unsafe \
                 -device virtio-blk-pci,drive=d0,disable-legacy=on
SBENCH_CPIO       := $(BUILD)/initramfs-sbench.cpio
SBENCH_QUICK_CPIO := $(BUILD)/initramfs-sbench-quick.cpio
SBENCH_BOOTS   = $(foreach o,$(SBENCH_ORDERS),$(o)=build/$(ARCH)-c$(o)/weft.elf:build/$(ARCH)-c$(o)/$(1))
# The file server's pool is its page cache's limit: boot.conf's 4 MiB would hold a
# sixteenth of the 64 MiB file, where Linux's page cache may use the guest's 1 GiB.
# The benchmark boots boot.conf with the file server's mem= raised (init.conf=).
SBENCH_FS_MEM  := 96M
SBENCH_CONF    := $(BUILD)/sbench-boot.conf
SBENCH_APPEND  := init.run=sbench init.conf=sbench-boot.conf

$(SBENCH_CONF): user/init/boot.conf mk/extra/bench-storage.mk
	@mkdir -p $(dir $@)
	@sed 's/^server fs  *mem=[^ ]*/server fs      mem=$(SBENCH_FS_MEM)/' $< > $@
	@grep -q '^server fs  *mem=$(SBENCH_FS_MEM) ' $@ || { echo "$@: no 'server fs mem=' line in $<"; rm -f $@; exit 1; }

# The benchmark's initramfs: the production one with that configuration (and, for
# the quick variant, sbench.conf) added.
SBENCH_CPIO_DEPS = $(USER_ELFS:.elf=.stripped) tools/mkcpio.py $(SBENCH_CONF) \
                   $(foreach f,$(INITRAMFS_FILES),$(lastword $(subst =, ,$(f))))
SBENCH_CPIO_ARGS = $(foreach p,$(USER_PROGS) $(USER_MUSL_PROGS),$(p)=$(USER_BUILD)/$(p).stripped) \
                   $(INITRAMFS_FILES) sbench-boot.conf=$(SBENCH_CONF)
$(SBENCH_CPIO): $(SBENCH_CPIO_DEPS)
	@echo "  CPIO    $@"
	@$(PYTHON) tools/mkcpio.py -o $@ $(SBENCH_CPIO_ARGS)
$(SBENCH_QUICK_CPIO): $(SBENCH_CPIO_DEPS) user/sbench/quick.conf
	@echo "  CPIO    $@"
	@$(PYTHON) tools/mkcpio.py -o $@ $(SBENCH_CPIO_ARGS) sbench.conf=user/sbench/quick.conf

.PHONY: bench-storage figures-storage sbench-images check-sbench-collect
sbench-images: $(DEPS_STAMP)
	@$(foreach o,$(SBENCH_ORDERS),$(MAKE) --no-print-directory kernel build/$(ARCH)-c$(o)/initramfs-sbench.cpio \
	    build/$(ARCH)-c$(o)/initramfs-sbench-quick.cpio CLUSTER_ORDER=$(o) >/dev/null &&) true

bench-storage: sbench-images $(SBENCH_IMG)
	@mkdir -p bench/results
	$(PYTHON) user/sbench/collect.py --qemu "$(SBENCH_QEMU)" --append "$(SBENCH_APPEND)" --timeout 1200 \
	    --log-dir build/sbench --json bench/results/storage-$(ARCH).json \
	    $(call SBENCH_BOOTS,initramfs-sbench.cpio)

figures-storage: sbench-images $(SBENCH_IMG)
	@mkdir -p $(FIGURES_DIR)
	@$(PYTHON) user/sbench/collect.py --quiet --qemu "$(SBENCH_QEMU)" --append "$(SBENCH_APPEND)" --timeout 300 \
	    --log-dir build/sbench --json $(FIGURES_DIR)/storage-quick-$(ARCH).json \
	    $(call SBENCH_BOOTS,initramfs-sbench-quick.cpio)

check-sbench-collect: $(DEPS_STAMP)
	@$(PYTHON) user/sbench/collect.py --self-test

BENCH_TARGETS += bench-storage
CHECK_TARGETS += check-sbench-collect
EXTRA_HELP += "bench-storage  Weft's ext2 file server on vblk, the Linux guest's storage steps (docs/perf/storage.md)"
EXTRA_HELP += "figures-storage  its quick variant, which check-figures re-runs and compares"
EXTRA_HELP += "check-sbench-collect  the storage benchmark's collector judges canned logs (in make check)"
