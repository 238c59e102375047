# PCI on aarch64 (decision 147): the bus server, the virtio drivers, the
# file server and the network server built for aarch64 and started by init
# from user/init/boot-aarch64.conf, in the system initramfs (A64_SYS_PROGS,
# mk/arch-aarch64.mk); the bus server reads configuration space through ECAM.
ifeq ($(ARCH),aarch64)
A64_PCI_PROGS := pcibus vblk vrng fs vnet net
A64_SYS_PROGS += $(A64_PCI_PROGS)
A64_UTEST_PROGS += $(filter-out $(A64_UTEST_PROGS),$(A64_PCI_PROGS))
$(A64_SYS_INITRAMFS) $(A64_UTEST_INITRAMFS): $(foreach p,$(A64_PCI_PROGS),$(A64_UDIR)/$(p).stripped)
user-aarch64: $(foreach p,$(A64_PCI_PROGS),$(A64_UDIR)/$(p).elf)

# Linked as mk/arch-aarch64.mk links A64_MUSL_PROGS, with MUSL_LIBS_<name>.
$(foreach p,$(A64_PCI_PROGS),$(A64_UDIR)/$(p).elf): $(A64_UDIR)/%.elf: \
        $$(call a64_musl_objs,$$(wildcard user/$$*/*.c) $$(MUSL_SRCS_$$*) $$(A64_MUSL_LIB_SRCS)) \
        $$(MUSL_LIBS_$$*) $(A64_MUSL_LIBC) $(A64_ELFCHECK)
	@echo "  ULD     $@ (musl, aarch64)"
	@$(LD) $(USER_LDFLAGS) -o $@ $(call a64_musl_objs,$(wildcard user/$*/*.c) $(MUSL_SRCS_$*) \
	    $(A64_MUSL_LIB_SRCS)) $(MUSL_LIBS_$*) $(A64_MUSL_LIBC) $(A64_LIBGCC)
	@$(A64_ELFCHECK) -q $@ || { rm -f $@; exit 1; }

# lwIP for the network server (mk/extra/lwip.mk's rules, into $(BUILD)/lwip,
# which is aarch64's here) with aarch64's flags.
A64_MCFLAGS_NOW := $(A64_MCFLAGS)
$(LWIP_OBJS): LWIP_CFLAGS := $(filter-out $(WARNINGS),$(A64_MCFLAGS_NOW)) -w $(LWIP_INCLUDE)
$(LWIP_BUILD)/port/sys_arch.o: MUSL_CFLAGS := $(A64_MCFLAGS_NOW)
$(LWIP_OBJS): $(A64_MUSL_LIBC)
$(call a64_musl_objs,$(wildcard user/net/*.c)): A64_MCFLAGS += $(LWIP_INCLUDE)
$(call a64_musl_objs,$(wildcard user/net/*.c)): $(LWIP_SRC)/.fetched

# ext2 on a virtio-blk disk on aarch64 (tests/system/aarch64-storage.script):
# init starts pcibus, which finds the ECAM window in the bootinfo, places the
# BARs of a modern-only virtio-blk-pci and a virtio-rng-pci function and
# routes their INTx pins to GIC SPIs; vblk, rng and the file server start as
# on x86-64. The shell mounts the disk (a fresh ext2 image of examples/disk/),
# reads a file, writes one, reads random bytes and unmounts; QEMU is stopped
# and the host checks the image: e2fsck -fn finds nothing, debugfs reads the
# written file back.
A64_STORAGE_IMG := $(BUILD)/storage-aarch64.img
.PHONY: check-guest-aarch64-storage
ARCH_GUEST_CHECKS += check-guest-aarch64-storage
check-guest-aarch64-storage: $(KERNEL_IMG) $(A64_SYS_INITRAMFS) $(DEPS_STAMP)
	@rm -f $(A64_STORAGE_IMG) && truncate -s 4M $(A64_STORAGE_IMG)
	@E2FSPROGS_FAKE_TIME=1 mke2fs -q -F -t ext2 -b 1024 -I 256 -U clear -E root_owner=0:0 \
	    -L weft -d examples/disk $(A64_STORAGE_IMG)
	@$(PYTHON) tools/systest.py tests/system/aarch64-storage.script \
	    --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-storage --log $(BUILD)/storage.log \
	    --results $(RESULTS) -- $(QEMU) $(QEMU_BASE) -m 256M -serial stdio -monitor none \
	    -kernel $(KERNEL_IMG) -initrd $(A64_SYS_INITRAMFS) \
	    -drive file=$(A64_STORAGE_IMG),if=none,id=a64disk,format=raw \
	    -device virtio-blk-pci,drive=a64disk,disable-legacy=on \
	    -device virtio-rng-pci,disable-legacy=on -nic none
	@sh tests/system/aarch64-storage.sh $(A64_STORAGE_IMG) \
	    $(if $(RESULTS),$(RESULTS) $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-storage-disk)
EXTRA_HELP += "check-guest-aarch64-storage (ARCH=aarch64) ext2 on virtio-blk over ECAM PCI through the shell; e2fsck -fn after"

# The network server on aarch64 (tests/system/net.py, as make check-net on
# x86-64): vnet drives a modern virtio-net-pci function on QEMU's user network
# through the bus server's ECAM path (BAR placed, INTx routed to an SPI), the
# server's DHCP lease and TCP echo through a forward; then a boot without the
# device (-nic none drops virt's default NIC): status 69, not restarted.
.PHONY: check-guest-aarch64-net
ARCH_GUEST_CHECKS += check-guest-aarch64-net
check-guest-aarch64-net: $(KERNEL_IMG) $(A64_SYS_INITRAMFS) $(DEPS_STAMP)
	@$(PYTHON) tests/system/net.py --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-net \
	    --log $(BUILD)/net.log --results $(RESULTS) -- $(QEMU) $(QEMU_BASE) -nic none -m 256M \
	    -serial stdio -monitor none -kernel $(KERNEL_IMG) -initrd $(A64_SYS_INITRAMFS)
EXTRA_HELP += "check-guest-aarch64-net (ARCH=aarch64) virtio-net over ECAM PCI: DHCP lease and TCP echo"
endif
