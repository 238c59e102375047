# GRUB boot images of the same kernel (Multiboot2), for BIOS and UEFI, with the
# initramfs as a module named "initramfs" (module2 in tools/grub.cfg.in):
#   $(BUILD)/weft.iso        the production kernel; boots to the ready banner
#   $(BUILD)/weft-test.iso   the test image, booting with "ktest" (the self-tests),
#                            used by check-iso
ISO      := $(BUILD)/weft.iso
ISO_TEST := $(BUILD)/weft-test.iso

# make_iso ISO, TAG, COMMAND-LINE, KERNEL
define make_iso
	@rm -rf $(BUILD)/iso-$(2) && mkdir -p $(BUILD)/iso-$(2)/boot/grub
	@cp $(4) $(BUILD)/iso-$(2)/boot/weft.elf
	@cp $(INITRAMFS) $(BUILD)/iso-$(2)/boot/initramfs.cpio
	@sed 's|@CMDLINE@|$(3)|' tools/grub.cfg.in > $(BUILD)/iso-$(2)/boot/grub/grub.cfg
	@echo "  ISO     $(1)"
	@grub-mkrescue -o $(1) $(BUILD)/iso-$(2) >$(BUILD)/iso-$(2).log 2>&1 || \
	    { cat $(BUILD)/iso-$(2).log; exit 1; }
endef

$(ISO): $(KERNEL) $(INITRAMFS) tools/grub.cfg.in $(DEPS_STAMP)
	$(call make_iso,$@,plain,,$(KERNEL))
$(ISO_TEST): $(KERNEL_TEST) $(INITRAMFS) tools/grub.cfg.in $(DEPS_STAMP)
	$(call make_iso,$@,test,ktest ktest.mem=256 ktest.memslack=16,$(KERNEL_TEST))

.PHONY: iso check-iso run-iso
iso: $(ISO)

run-iso: $(ISO)
	$(QEMU) $(QEMU_BASE) -m $(QEMU_MEM) -serial mon:stdio -cdrom $(ISO) $(if $(UEFI),-bios $(OVMF_CODE))

# The same self-tests through GRUB, under SeaBIOS and under UEFI (OVMF).
check-iso: $(ISO_TEST)
	@$(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)-grub-bios --log $(BUILD)/grub-bios.log \
	    --exit-code 1 --expect 'boot: protocol multiboot2' \
	    -- $(QEMU) $(QEMU_BASE) $(QEMU_TEST_DEV) $(QEMU_SERIAL) -m 256M -cdrom $(ISO_TEST)
	@$(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)-grub-uefi --log $(BUILD)/grub-uefi.log \
	    --exit-code 1 --expect 'boot: protocol multiboot2' \
	    -- $(QEMU) $(QEMU_BASE) $(QEMU_TEST_DEV) $(QEMU_SERIAL) -m 256M -cdrom $(ISO_TEST) \
	    -bios $(OVMF_CODE)
