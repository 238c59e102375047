# The Linux guest, measured side by side with Weft (docs/testing.md, docs/perf/linux.md):
# Debian's cloud kernel (tools/linux-guest.sh takes /boot/vmlinuz-* out of the
# .deb, nothing is installed) boots in the same QEMU with the same flags as Weft's
# benchmark boots (QEMU_BASE, the exit device, -icount shift=0,sleep=off), with an
# initramfs of static musl programs (bench/linux/*.c: /init and /bench/*) that
# print the figures as JSON lines. One boot with -cpu max (as Weft's) and one
# with -cpu max,erms=off (Linux then zeroes pages with rep stosq, not rep stosb;
# see docs/perf/linux.md). Results: bench/results/linux-x86_64.json.
#
#   make bench-linux          fetch the kernel if needed (network, once), build, boot, collect
#   make bench-linux-storage  the same kernel reading and writing an ext2 image on a
#                             virtio-blk disk (docs/perf/storage.md): virtio_pci and
#                             virtio_blk (modules in the cloud kernel) taken out of the
#                             same .deb and loaded by /init, the image made by
#                             bench/linux/mkstorage.py; -> bench/results/linux-storage-x86_64.json
#   make check-bench-linux    build the guest programs and test the collector on canned
#                             serial logs (no network, no boot; in make check)

LINUX_DIR     := build/linux
LINUX_PROGS   := init getppid pipe signal touch fork forkwrite exec smpunmap
LINUX_BENCHES := $(filter-out init,$(LINUX_PROGS))
LINUX_BINS    := $(addprefix $(LINUX_DIR)/bin/,$(LINUX_PROGS))
LINUX_CPIO    := $(LINUX_DIR)/initramfs.cpio
LINUX_CFLAGS  := -static -O2 -s -std=gnu17 -Wall -Wextra -Werror
# The guest's boot arguments, the same every time (listed in docs/perf/linux.md).
# Mitigations are the kernel's defaults. 1 GiB: below 512 MiB Linux turns THP off.
LINUX_CMDLINE := console=ttyS0 quiet panic=-1
LINUX_MEM     := 1G
LINUX_CPUS    := max max,erms=off
LINUX_QEMU     = $(QEMU) $(QEMU_BASE) $(QEMU_TEST_DEV) $(QEMU_ICOUNT) -serial stdio -monitor none \
                 -m $(LINUX_MEM)
# The storage boot: the image on a modern-only virtio-blk-pci function, as Weft's
# vblk tests attach theirs (mk/test.mk); its writes go to a temporary overlay
# (snapshot=on), so every boot starts from the same image, and the host does not
# wait for its disk on a flush (cache=unsafe). idle=poll: while a request is with
# QEMU the idle CPU executes a loop rather than halting, so that QEMU does not move
# the clock on to the next timer (decision 126; docs/perf/storage.md).
LINUX_STORAGE_CMDLINE := $(LINUX_CMDLINE) idle=poll
LINUX_MODULES := virtio_pci virtio_blk
LINUX_STORAGE_BINS := $(LINUX_DIR)/bin/init $(LINUX_DIR)/bin/storage
LINUX_STORAGE_IMG  := $(LINUX_DIR)/storage.img
LINUX_STORAGE_CPIO := $(LINUX_DIR)/initramfs-storage.cpio
LINUX_STORAGE_QEMU  = $(LINUX_QEMU) -drive file=$(LINUX_STORAGE_IMG),if=none,id=d0,format=raw,snapshot=on,cache=unsafe \
                      -device virtio-blk-pci,drive=d0,disable-legacy=on

$(LINUX_DIR)/bin/%: bench/linux/%.c bench/linux/lbench.h mk/extra/bench-linux.mk | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  MUSLCC  $@"
	@musl-gcc $(LINUX_CFLAGS) -o $@ $<

$(LINUX_CPIO): $(LINUX_BINS) tools/mkcpio.py
	@$(PYTHON) tools/mkcpio.py -o $@ init=$(LINUX_DIR)/bin/init bin/busybox=/bin/busybox \
	    $(foreach b,$(LINUX_BENCHES),bench/$(b)=$(LINUX_DIR)/bin/$(b))

$(LINUX_STORAGE_IMG): bench/linux/mkstorage.py | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  MKE2FS  $@"
	@$(PYTHON) bench/linux/mkstorage.py $@

.PHONY: bench-linux bench-linux-kernel bench-linux-storage check-bench-linux
bench-linux-kernel: $(DEPS_STAMP)
	@tools/linux-guest.sh --dir $(LINUX_DIR) >/dev/null

bench-linux: bench-linux-kernel $(LINUX_CPIO)
	@mkdir -p bench/results
	$(PYTHON) bench/linux/collect.py --qemu "$(LINUX_QEMU)" --kernel $(LINUX_DIR)/vmlinuz \
	    --initrd $(LINUX_CPIO) --append "$(LINUX_CMDLINE)" $(foreach c,$(LINUX_CPUS),--cpu $(c)) \
	    --json bench/results/linux-$(ARCH).json --log-dir $(LINUX_DIR)

# The modules come with the kernel (tools/linux-guest.sh --modules; bench-linux-kernel
# first, so that a parallel make bench fetches the .deb once), so the storage
# initramfs is written here: /init, /bench/storage, /bench/list
# naming it, /lib/modules/order and the modules it names.
bench-linux-storage: bench-linux-kernel $(LINUX_STORAGE_BINS) $(LINUX_STORAGE_IMG) tools/mkcpio.py | $(DEPS_STAMP)
	@tools/linux-guest.sh --dir $(LINUX_DIR) --modules "$(LINUX_MODULES)" >/dev/null
	@printf 'storage\n' > $(LINUX_DIR)/storage-list
	@$(PYTHON) tools/mkcpio.py -o $(LINUX_STORAGE_CPIO) init=$(LINUX_DIR)/bin/init \
	    bench/storage=$(LINUX_DIR)/bin/storage bench/list=$(LINUX_DIR)/storage-list \
	    lib/modules/order=$(LINUX_DIR)/modules/order \
	    $$(sed 's|.*|lib/modules/&.ko=$(LINUX_DIR)/modules/&.ko|' $(LINUX_DIR)/modules/order)
	@mkdir -p bench/results
	$(PYTHON) bench/linux/collect.py --suite storage --qemu "$(LINUX_STORAGE_QEMU)" \
	    --kernel $(LINUX_DIR)/vmlinuz --initrd $(LINUX_STORAGE_CPIO) --append "$(LINUX_STORAGE_CMDLINE)" \
	    $(foreach c,$(LINUX_CPUS),--cpu $(c)) --json bench/results/linux-storage-$(ARCH).json \
	    --log-dir $(LINUX_DIR)

check-bench-linux: $(LINUX_CPIO) $(LINUX_DIR)/bin/storage
	@$(PYTHON) bench/linux/test_collect.py --results $(RESULTS)

BENCH_TARGETS += bench-linux bench-linux-storage
CHECK_TARGETS += check-bench-linux
EXTRA_HELP += "bench-linux    Debian's Linux in the same QEMU: the same operations measured (docs/perf/linux.md)"
EXTRA_HELP += "bench-linux-storage  Linux on an ext2 image through virtio-blk: reads, writes, small files (docs/perf/storage.md)"
EXTRA_HELP += "check-bench-linux  the Linux guest's programs build; its collector judges canned logs (in make check)"
