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
#   make check-bench-linux    build the guest programs and test the collector on canned
#                             serial logs (no network, no boot; in make check)

LINUX_DIR     := build/linux
LINUX_PROGS   := init getppid pipe signal touch fork
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

$(LINUX_DIR)/bin/%: bench/linux/%.c bench/linux/lbench.h mk/extra/bench-linux.mk | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  MUSLCC  $@"
	@musl-gcc $(LINUX_CFLAGS) -o $@ $<

$(LINUX_CPIO): $(LINUX_BINS) tools/mkcpio.py
	@$(PYTHON) tools/mkcpio.py -o $@ init=$(LINUX_DIR)/bin/init \
	    $(foreach b,$(LINUX_BENCHES),bench/$(b)=$(LINUX_DIR)/bin/$(b))

.PHONY: bench-linux bench-linux-kernel check-bench-linux
bench-linux-kernel: $(DEPS_STAMP)
	@tools/linux-guest.sh --dir $(LINUX_DIR) >/dev/null

bench-linux: bench-linux-kernel $(LINUX_CPIO)
	@mkdir -p bench/results
	$(PYTHON) bench/linux/collect.py --qemu "$(LINUX_QEMU)" --kernel $(LINUX_DIR)/vmlinuz \
	    --initrd $(LINUX_CPIO) --append "$(LINUX_CMDLINE)" $(foreach c,$(LINUX_CPUS),--cpu $(c)) \
	    --json bench/results/linux-$(ARCH).json --log-dir $(LINUX_DIR)

check-bench-linux: $(LINUX_CPIO)
	@$(PYTHON) bench/linux/test_collect.py --results $(RESULTS)

BENCH_TARGETS += bench-linux
CHECK_TARGETS += check-bench-linux
EXTRA_HELP += "bench-linux    Debian's Linux in the same QEMU: the same operations measured (docs/perf/linux.md)"
EXTRA_HELP += "check-bench-linux  the Linux guest's programs build; its collector judges canned logs (in make check)"
