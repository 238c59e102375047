# PCI through ECAM on the device-tree machines (decision 147), aarch64 and
# riscv64: the bus server, the virtio drivers, the file server and the
# network server built for ARCH and started by init from
# user/init/boot-$(ARCH).conf, in the system initramfs (<P>_SYS_PROGS,
# mk/arch-$(ARCH).mk) and the user suite's; the bus server reads configuration
# space through ECAM. One set of rules, parameterised by the port's prefix:
# ECAM_P (A64, RV) names its variables (<P>_UDIR, <P>_SYS_PROGS, <P>_MUSL_LIBC,
# ...), ecam_p (a64, rv) its object-list function (<p>_musl_objs).
ifneq ($(filter aarch64 riscv64,$(ARCH)),)
ECAM_P := $(if $(filter aarch64,$(ARCH)),A64,RV)
ecam_p := $(if $(filter aarch64,$(ARCH)),a64,rv)
ECAM_UDIR := $($(ECAM_P)_UDIR)
ECAM_PCI_PROGS := pcibus vblk vrng fs vnet net
$(ECAM_P)_SYS_PROGS += $(filter-out $($(ECAM_P)_SYS_PROGS),$(ECAM_PCI_PROGS))
$(ECAM_P)_UTEST_PROGS += $(filter-out $($(ECAM_P)_UTEST_PROGS),$(ECAM_PCI_PROGS))
$($(ECAM_P)_SYS_INITRAMFS) $($(ECAM_P)_UTEST_INITRAMFS): \
    $(foreach p,$(ECAM_PCI_PROGS),$(ECAM_UDIR)/$(p).stripped)

# Linked as mk/arch-$(ARCH).mk links <P>_MUSL_PROGS (those it links already, fs,
# left to it), with MUSL_LIBS_<name> (net: lwIP).
ECAM_LINK_PROGS := $(filter-out $($(ECAM_P)_MUSL_PROGS),$(ECAM_PCI_PROGS))
ECAM_MUSL_LIBC := $($(ECAM_P)_MUSL_LIBC)
ECAM_ELFCHECK := $($(ECAM_P)_ELFCHECK)
ECAM_LIBGCC := $($(ECAM_P)_LIBGCC)
$(foreach p,$(ECAM_LINK_PROGS),$(ECAM_UDIR)/$(p).elf): $(ECAM_UDIR)/%.elf: \
        $$(call $(ecam_p)_musl_objs,$$(wildcard user/$$*/*.c) $$(MUSL_SRCS_$$*) \
            $$($(ECAM_P)_MUSL_LIB_SRCS)) $$(MUSL_LIBS_$$*) $(ECAM_MUSL_LIBC) $(ECAM_ELFCHECK)
	@echo "  ULD     $@ (musl, $(ARCH))"
	@$(LD) $(USER_LDFLAGS) -o $@ $(call $(ecam_p)_musl_objs,$(wildcard user/$*/*.c) $(MUSL_SRCS_$*) \
	    $($(ECAM_P)_MUSL_LIB_SRCS)) $(MUSL_LIBS_$*) $(ECAM_MUSL_LIBC) $(ECAM_LIBGCC)
	@$(ECAM_ELFCHECK) -q $@ || { rm -f $@; exit 1; }

ifeq ($(ARCH),aarch64)
user-aarch64: $(foreach p,$(ECAM_PCI_PROGS),$(ECAM_UDIR)/$(p).elf)
endif
# lwIP for the network server (mk/extra/lwip.mk's rules, into $(BUILD)/lwip,
# which is ARCH's here) with the port's musl flags.
ECAM_MCFLAGS_NOW := $($(ECAM_P)_MCFLAGS)
$(LWIP_OBJS): LWIP_CFLAGS := $(filter-out $(WARNINGS),$(ECAM_MCFLAGS_NOW)) -w $(LWIP_INCLUDE)
$(LWIP_BUILD)/port/sys_arch.o: MUSL_CFLAGS := $(ECAM_MCFLAGS_NOW)
$(LWIP_OBJS): $(ECAM_MUSL_LIBC)
$(call $(ecam_p)_musl_objs,$(wildcard user/net/*.c)): $(ECAM_P)_MCFLAGS += $(LWIP_INCLUDE)
$(call $(ecam_p)_musl_objs,$(wildcard user/net/*.c)): $(LWIP_SRC)/.fetched

# ext2 on a virtio-blk disk (tests/system/$(ARCH)-storage.script): init starts
# pcibus, which finds the ECAM window in the bootinfo, places the BARs of a
# modern-only virtio-blk-pci and a virtio-rng-pci function and routes their
# INTx pins to interrupt lines (GIC SPIs on aarch64, PLIC sources on
# riscv64); vblk, rng and the file server start as on x86-64. The shell mounts
# the disk (a fresh ext2 image of examples/disk/), reads a file, writes one,
# reads random bytes and unmounts; QEMU is stopped and the host checks the
# image (tests/system/aarch64-storage.sh): e2fsck -fn finds nothing, debugfs
# reads the written file back (riscv64's: /rv/kept.txt).
ECAM_STORAGE_IMG := $(BUILD)/storage-$(ARCH).img
ECAM_STORAGE_FILE_aarch64 := /arm/kept.txt
ECAM_STORAGE_FILE_riscv64 := /rv/kept.txt
.PHONY: check-guest-$(ARCH)-storage
ARCH_GUEST_CHECKS += check-guest-$(ARCH)-storage
check-guest-$(ARCH)-storage: $(KERNEL_IMG) $($(ECAM_P)_SYS_INITRAMFS) $(DEPS_STAMP)
	@rm -f $(ECAM_STORAGE_IMG) && truncate -s 4M $(ECAM_STORAGE_IMG)
	@E2FSPROGS_FAKE_TIME=1 mke2fs -q -F -t ext2 -b 1024 -I 256 -U clear -E root_owner=0:0 \
	    -L weft -d examples/disk $(ECAM_STORAGE_IMG)
	@$(PYTHON) tools/systest.py tests/system/$(ARCH)-storage.script \
	    --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-storage --log $(BUILD)/storage.log \
	    --results $(RESULTS) -- $(QEMU) $(QEMU_BASE) -m 256M -serial stdio -monitor none \
	    -kernel $(KERNEL_IMG) -initrd $($(ECAM_P)_SYS_INITRAMFS) \
	    -drive file=$(ECAM_STORAGE_IMG),if=none,id=ecamdisk,format=raw \
	    -device virtio-blk-pci,drive=ecamdisk,disable-legacy=on \
	    -device virtio-rng-pci,disable-legacy=on -nic none
	@STORAGE_FILE=$(ECAM_STORAGE_FILE_$(ARCH)) STORAGE_TEXT="written on $(ARCH)" \
	    sh tests/system/aarch64-storage.sh $(ECAM_STORAGE_IMG) \
	    $(if $(RESULTS),$(RESULTS) $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-storage-disk)
EXTRA_HELP += "check-guest-$(ARCH)-storage (ARCH=$(ARCH)) ext2 on virtio-blk over ECAM PCI through the shell; e2fsck -fn after"

# The network server (tests/system/net.py, as make check-net on x86-64): vnet
# drives a modern virtio-net-pci function on QEMU's user network through the
# bus server's ECAM path (BAR placed, INTx routed to an SPI or a PLIC source),
# the server's DHCP lease and TCP echo through a forward; then a boot without
# the device (-nic none drops virt's default NIC): status 69, not restarted.
.PHONY: check-guest-$(ARCH)-net
ARCH_GUEST_CHECKS += check-guest-$(ARCH)-net
check-guest-$(ARCH)-net: $(KERNEL_IMG) $($(ECAM_P)_SYS_INITRAMFS) $(DEPS_STAMP)
	@$(PYTHON) tests/system/net.py --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-net \
	    --log $(BUILD)/net.log --results $(RESULTS) -- $(QEMU) $(QEMU_BASE) -nic none -m 256M \
	    -serial stdio -monitor none -kernel $(KERNEL_IMG) -initrd $($(ECAM_P)_SYS_INITRAMFS)
EXTRA_HELP += "check-guest-$(ARCH)-net (ARCH=$(ARCH)) virtio-net over ECAM PCI: DHCP lease and TCP echo"
endif
