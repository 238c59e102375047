# Boot to the shell prompt (bench/boot/run.py; docs/perf/boot.md): the debug
# images `make run` boots, for CLUSTER_ORDER=0 and 4, under -icount
# shift=0,sleep=off; the shell's `uptime` reports the TSC at its first prompt,
# which counts guest instructions from power-on. Results:
# bench/results/boot-x86_64.json; make check-figures re-runs it.
#
#   make bench-boot

BOOT_ORDERS := 0 4
BOOT_IMAGES := $(foreach o,$(BOOT_ORDERS),$(o)=build/$(ARCH)-c$(o)/weft.elf:build/$(ARCH)-c$(o)/initramfs.cpio)
BOOT_QEMU    = $(QEMU) $(QEMU_BASE) $(QEMU_ICOUNT) -serial stdio -monitor none -m $(QEMU_MEM)

.PHONY: bench-boot bench-boot-images figures-boot
bench-boot-images:
	@$(foreach o,$(BOOT_ORDERS),$(MAKE) --no-print-directory kernel initramfs DEBUG=1 \
	    CLUSTER_ORDER=$(o) &&) true

bench-boot: bench-boot-images $(DEPS_STAMP)
	$(PYTHON) bench/boot/run.py --qemu "$(BOOT_QEMU)" --json bench/results/boot-$(ARCH).json \
	    $(BOOT_IMAGES)

figures-boot: bench-boot-images $(DEPS_STAMP)
	@mkdir -p $(FIGURES_DIR)
	@$(PYTHON) bench/boot/run.py --qemu "$(BOOT_QEMU)" --json $(FIGURES_DIR)/boot-$(ARCH).json \
	    $(BOOT_IMAGES) >/dev/null

BENCH_TARGETS += bench-boot
EXTRA_HELP += "bench-boot     guest instructions from power-on to the shell's first prompt"
