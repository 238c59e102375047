# riscv64: QEMU virt, OpenSBI's fw_dynamic (Debian's opensbi) in M-mode, the
# kernel a Linux RISC-V Image loaded by -kernel in S-mode, the hart id in a0,
# the device tree in a1 (docs/arch-riscv64.md, decision 152).
#
# The port is partial: the generic kernel (core/main.c, system calls, threads,
# IPC, VSpaces) is linked and its self-tests run, but two bound to x86-64
# (RV_KTEST_PENDING, decision 182); init, name, log, the console server,
# the shell, the PCI bus server (ECAM), vblk, vrng, vnet, the file and
# network servers run (make run; mk/extra/pcibus-ecam.mk) and so does the
# user suite.

ARCH_KCFLAGS := --target=riscv64-unknown-elf -march=rv64imac -mabi=lp64 -mcmodel=medany \
                -mno-relax -mno-omit-leaf-frame-pointer -DWEFT_ELF_MACHINE=243
ARCH_LDSCRIPT := kernel/arch/riscv64/kernel.ld
# Shared hardware support (kernel/genarch/): the device-tree reader, the
# firmware bring-up of the other CPUs (smp_fdt.c), the
# frame-record backtrace and the ASID allocator (asid.c, decision 185).
ARCH_GENARCH := fdt.c backtrace.c smp_fdt.c asid.c
# The generic files this port links (mk/kernel.mk, decision 125): every one,
# core/main.c and the generic self-tests included, but two bound to x86-64
# (decision 182): bench_ktest.c, x86-64's ring-3 benchmark loops (x86-64
# assembly reading the TSC; riscv64's IPC table is umode/bench_*,
# bench_umode_ktest.c), and fault_fast_ktest.c, which tests the fast path of
# foreign system calls that only x86-64 has (ARCH_FAST_FOREIGN, decision 138).
RV_KTEST_PENDING := kernel/test/bench_ktest.c kernel/test/fault_fast_ktest.c
ARCH_GENERIC_SRCS := $(filter-out $(RV_KTEST_PENDING),$(shell find kernel \( -path kernel/arch \
                         -o -path kernel/genarch -o -path kernel/test/arch \) -prune -o \
                         \( -name '*.c' -o -name '*.S' \) -print | sort))
# The FP registers are saved and restored in assembly with the D extension;
# the kernel's C has none.
$(BUILD)/kernel/arch/riscv64/fpu.S.o $(BUILD)/kernel/test/arch/riscv64/user_progs.S.o: \
    ARCH_KCFLAGS += -march=rv64imafdc
# Two generic self-tests take the image's physical bounds from absolute
# symbols (_kernel_phys_start/_end), which -mcmodel=medany's pc-relative
# addressing cannot reach from the higher half: they reach them through the
# GOT instead (kernel.ld keeps .got in .data).
$(BUILD)/kernel/test/boot_ktest.c.o $(BUILD)/kernel/test/pmm_ktest.c.o: ARCH_KCFLAGS += -fpic

QEMU      := qemu-system-riscv64
QEMU_MEM  ?= 256M
RV_OPENSBI := /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
QEMU_BASE := -machine virt -smp 1 -display none -no-reboot -bios $(RV_OPENSBI)
# A test image ends QEMU with a status through virt's test finisher
# (sifive,test0, always present): status v is exit code (v << 1) | 1.
QEMU_TEST_DEV :=

# QEMU's -kernel takes the raw Image (the RISC-V header is at its first byte).
KERNEL_IMG      := $(BUILD)/weft.img
KERNEL_TEST_IMG := $(BUILD)/weft-test.img
$(BUILD)/%.img: $(BUILD)/%.elf
	@echo "  IMAGE   $@"
	@$(OBJCOPY) -O binary $< $@
kernel: $(KERNEL_IMG)
kernel-test: $(KERNEL_TEST_IMG)
ARCH_ALL := kernel

# Every self-test boot carries an initramfs as QEMU's -initrd (the tree's
# /chosen linux,initrd-start/-end: initramfs_ktest.c; RV_KTEST_INITRAMFS below).
RV_QEMU_KTEST = $(QEMU) $(QEMU_BASE) -serial stdio -monitor none -kernel $(KERNEL_TEST_IMG) \
                -initrd $(RV_KTEST_INITRAMFS)
# name:MiB[:more of the command line]; the sbi-timer run forces the SBI timer
# where Sstc is offered (timer=pit, x86-64's name for the legacy timer); the
# svnapot run gives the hart Svnapot (64 KiB groups of entries).
RV_RUNS := mem64:64 mem1g:1024 mem8g:8192 sbi-timer:128:timer=pit svnapot:128
RV_CPU_svnapot := -cpu rv64,svnapot=on
RV_FAULT_pf     := EXCEPTION: store page fault \(scause 15\) \[write, kernel\]
RV_FAULT_ud     := EXCEPTION: illegal instruction \(scause 2\)
RV_FAULT_wx     := EXCEPTION: store page fault \(scause 15\) \[write, kernel\]
RV_FAULT_nx     := EXCEPTION: instruction page fault \(scause 12\) \[fetch, kernel\]
RV_FAULT_brk    := EXCEPTION: breakpoint \(scause 3\)
RV_FAULT_assert := PANIC at kernel/.*: assertion failed: one == 2
RV_FAULTS := pf ud wx nx brk assert
RV_FAULT_COMMON := --expect 'ra  [0-9a-f]{16}  sp  ' --expect 't6  [0-9a-f]{16}' \
                   --expect 'SCAUSE 0x[0-9a-f]+ +STVAL +0x' \
                   --expect '\#0 +0xffffffff[0-9a-f]+ arch_selftest_fault\+0x' \
                   --expect '\#[123] +0xffffffff[0-9a-f]+ kernel_main\+0x' --expect 'System halted'
RV_FAULT_EXTRA_nx := --expect 'STVAL +0xffffffff[0-9a-f]+' --expect 'ra  [0-9a-f]{16}  sp  ' \
                     --expect '\#0 +0xffffffff[0-9a-f]+ arch_selftest_fault\+0x' \
                     --expect '\#[12] +0xffffffff[0-9a-f]+ kernel_main\+0x' --expect 'System halted'
RV_FAULT_EXTRA_assert := --expect '\#[12] +0xffffffff[0-9a-f]+ arch_selftest_fault\+0x' \
                         --expect 'System halted'

.PHONY: check-guest-riscv64-runs check-guest-riscv64-boot check-guest-riscv64-faults \
        check-guest-riscv64-badtree
ARCH_GUEST_CHECKS := check-guest-riscv64-runs check-guest-riscv64-boot check-guest-riscv64-faults \
                     check-guest-riscv64-badtree

check-guest-riscv64-runs: $(KERNEL_TEST_IMG) $(DEPS_STAMP)
	@set -e; for r in $(RV_RUNS); do \
	    name=$${r%%:*}; rest=$${r#*:}; mem=$${rest%%:*}; extra=$${rest#$$mem}; \
	    $(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-$$name --log $(BUILD)/$$name.log \
	        --exit-code 1 --expect "^boot: hart 0, device tree at 0x" \
	        --expect "^timer: $$(if [ -n "$$extra" ]; then echo SBI set_timer; else echo Sstc stimecmp; fi) at" \
	        --expect "^mmu: Sv48$$(if [ $$name = svnapot ]; then echo ' with Svnapot'; fi), kernel tables" \
	        -- $(RV_QEMU_KTEST) -m $${mem}M $$(if [ $$name = svnapot ]; then echo '$(RV_CPU_svnapot)'; fi) \
	        -append "ktest ktest.mem=$$mem ktest.intc=plic $${extra#:}"; \
	done

# The production image: banner, the memory map from the device tree (OpenSBI's
# range reserved), the platform line (with the PCI host bridge: its windows and
# its 16 INTx routes to PLIC lines), the generic kernel ready with no root
# task, ten ticks of the timer while the scheduler idles; then "poweroff" on
# the command line has it end QEMU through SBI system reset.
check-guest-riscv64-boot: $(KERNEL_IMG) $(DEPS_STAMP)
	@$(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-boot --log $(BUILD)/boot.log --no-plan \
	    --exit-code 0 \
	    --timeout 60 --expect '^Weft microkernel \(riscv64, CLUSTER_ORDER=' \
	    --expect '^boot: protocol dtb, command line "quiet poweroff"' \
	    --expect '^  \[0000000080000000-00000000800[0-9a-f]{5}\) reserved' \
	    --expect '^  \[0000000080200000-[0-9a-f]{16}\) kernel' \
	    --expect '^platform: device tree: PLIC at 0xc000000/.*NS16550 at 0x10000000 \(source 10\), timebase 10000000 Hz, PCI ECAM at 0x30000000 \(buses 0-255, 3 windows, 16 INTx routes\)' \
	    --expect '^mmu: Sv48, ' --expect '^timer: (Sstc stimecmp|SBI set_timer) at 10000000 Hz, tick 100 Hz' \
	    --expect '^irqchip: PLIC at 0xc000000, context 1, ' \
	    --expect '^boot: no initramfs module: no root task to start' --expect '^Weft ready\.' \
	    --expect '^timer: 10 ticks; "poweroff" on the command line: powering off' \
	    -- $(QEMU) $(QEMU_BASE) -serial stdio -monitor none -kernel $(KERNEL_IMG) -m 128M \
	    -append 'quiet poweroff'

check-guest-riscv64-faults: $(KERNEL_TEST_IMG) $(DEPS_STAMP)
	@set -e; $(foreach f,$(RV_FAULTS), \
	    $(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-fault-$(f) --log $(BUILD)/fault-$(f).log \
	        --no-plan --expect-panic --exit-code 3 --expect '$(RV_FAULT_$(f))' \
	        $(or $(RV_FAULT_EXTRA_$(f)),$(RV_FAULT_COMMON)) \
	        -- $(RV_QEMU_KTEST) -m 64M -append "ktest.fault=$(f)";)

# A malformed device tree (tests/dt/riscv64-bad-memory.dts, given with -dtb): the boot
# stops with a message naming the error, the offset and the node, printed
# through the SBI console since the tree named no UART the kernel could trust.
RV_BAD_DTB := $(BUILD)/dt/riscv64-bad-memory.dtb
$(BUILD)/dt/%.dtb: tests/dt/%.dts
	@mkdir -p $(dir $@)
	@dtc -q -I dts -O dtb -o $@ $<
check-guest-riscv64-badtree: $(KERNEL_IMG) $(RV_BAD_DTB) $(DEPS_STAMP)
	@$(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-bad-tree --log $(BUILD)/bad-tree.log \
	    --no-plan --expect-panic --exit-code 3 --timeout 60 \
	    --expect 'PANIC.*cannot boot: device tree: .* at offset [0-9]+ \(node ' \
	    -- $(QEMU) $(QEMU_BASE) -serial stdio -monitor none -kernel $(KERNEL_IMG) -m 128M \
	    -dtb $(RV_BAD_DTB)

# make run-image ARCH=riscv64 [IMAGE=test] [CMDLINE=...]: boot the Image in QEMU.
.PHONY: run-image
run-image: $(if $(filter test,$(IMAGE)),$(KERNEL_TEST_IMG),$(KERNEL_IMG))
	@echo "Weft (riscv64) in QEMU: serial console below. Quit with Ctrl-A then X."
	$(QEMU) $(QEMU_BASE) -m $(QEMU_MEM) -serial mon:stdio -kernel $< \
	    $(if $(CMDLINE),-append "$(CMDLINE)")
EXTRA_HELP += "run-image      (ARCH=riscv64) boot the kernel Image in QEMU; IMAGE=test, CMDLINE=..."

# The first riscv64 root task: user/hello with the C library and the Weft
# runtime (their riscv64 parts: user/lib/weft/arch/riscv64/crt0.S and the
# ecall stub of wf/syscall.h), built by these rules (mk/user.mk builds x86-64's
# programs) into an initramfs of one program that QEMU loads as -initrd.
RV_UDIR       := $(BUILD)/rvuser
RV_UCFLAGS     = $(subst -mcmodel=small,-mcmodel=medany -mno-relax,$(subst \
                     --target=x86_64-unknown-none-elf,--target=riscv64-unknown-none-elf \
                     -march=rv64imafdc -mabi=lp64d,$(USER_CFLAGS))) -DWEFT_ELF_MACHINE=243
RV_ULIB_SRCS   = $(filter-out user/lib/weft/crt0.S,$(USER_LIB_SRCS)) user/lib/weft/arch/riscv64/crt0.S
RV_HELLO_OBJS  = $(patsubst %,$(RV_UDIR)/%.ro,$(USER_SRCS_hello) $(RV_ULIB_SRCS))
RV_INITRAMFS  := $(RV_UDIR)/initramfs.cpio

$(RV_UDIR)/.flags: FORCE
	@mkdir -p $(dir $@)
	@echo '$(RV_UCFLAGS) $(RV_MCFLAGS)' | cmp -s - $@ || echo '$(RV_UCFLAGS) $(RV_MCFLAGS)' > $@
$(RV_UDIR)/%.c.ro: %.c $(BUILD)/.ucflags $(RV_UDIR)/.flags
	@mkdir -p $(dir $@)
	@echo "  UCC     $< (riscv64)"
	@$(CC) $(RV_UCFLAGS) -MMD -MP -MF $@.d -c $< -o $@
$(RV_UDIR)/%.S.ro: %.S $(BUILD)/.ucflags $(RV_UDIR)/.flags
	@mkdir -p $(dir $@)
	@echo "  UAS     $< (riscv64)"
	@$(CC) $(RV_UCFLAGS) -MMD -MP -MF $@.d -c $< -o $@
-include $(wildcard $(RV_UDIR)/*/*.ro.d $(RV_UDIR)/*/*/*.ro.d $(RV_UDIR)/*/*/*/*.ro.d \
                    $(RV_UDIR)/*/*/*/*/*.ro.d)

$(RV_UDIR)/hello.elf: $$(RV_HELLO_OBJS)
	@echo "  ULD     $@"
	@$(LD) $(USER_LDFLAGS) -o $@ $(RV_HELLO_OBJS)
$(RV_INITRAMFS): $(RV_UDIR)/hello.elf tools/mkcpio.py
	@echo "  CPIO    $@"
	@$(OBJCOPY) --strip-debug $< $(RV_UDIR)/hello.stripped
	@$(PYTHON) tools/mkcpio.py -o $@ init=$(RV_UDIR)/hello.stripped

.PHONY: initramfs-riscv64 check-guest-riscv64-roottask
initramfs-riscv64: $(RV_INITRAMFS)
ARCH_ALL += $(RV_INITRAMFS)
ARCH_GUEST_CHECKS += check-guest-riscv64-roottask
EXTRA_HELP += "initramfs-riscv64 (ARCH=riscv64) the initramfs of the riscv64 root task (user/hello)"

# The root task: the production kernel loads init (hello) from the initramfs
# and runs it in U-mode; it prints through the kernel's console call and exits
# with status 0, which ends QEMU through the test finisher (exit code 1).
check-guest-riscv64-roottask: $(KERNEL_IMG) $(RV_INITRAMFS) $(DEPS_STAMP)
	@$(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-roottask --log $(BUILD)/roottask.log \
	    --no-plan --exit-code 1 --timeout 60 \
	    --expect '^root task: init \([0-9]+ bytes, [0-9]+ segments, entry 0x0*40[0-9a-f]+\)' \
	    --expect '^Weft ready\.' --expect '^hello: started with argument 0x[0-9a-f]+' \
	    --expect '^halt: status 0 from user mode' \
	    -- $(QEMU) $(QEMU_BASE) -serial stdio -monitor none -kernel $(KERNEL_IMG) \
	    -m 128M -initrd $(RV_INITRAMFS) -append 'quiet'

# Sv39 (decision 177): QEMU 7.2 gives every hart Sv48 (its cpu has no sv48
# property), so "no4lvl" on the command line keeps the Sv39 that head.S turns
# on, as on a hart without Sv48: three-level tables, a user half of 256 GiB.
# The self-tests (the VM's mapping, megapages, faults and clusters, Svnapot
# groups, the U-mode threads, the layout) on a hart with Svnapot, with 8 GiB of
# RAM (the direct map's gigapages) and on two harts (each starts on Sv39's
# early root); then the production kernel's root task (hello) in U-mode, its
# stack, IPC buffer and bootinfo below the 256 GiB top; then the system and the
# user suite, whose fixed addresses follow the 256 GiB top (wf/layout.h,
# decision 181): init with riscv64's boot configuration (name, log, the console
# server, the shell, pcibus, vblk, vrng, fs, vnet, net) and the shell's script
# (tests/system/riscv64.script), the storage script on an ext2 disk (as
# check-guest-riscv64-storage: the drivers' and the file server's windows, the
# image checked on the host after), the network server's test (as
# check-guest-riscv64-net: two boots), and the whole user suite in one boot (as
# check-guest-riscv64-utest; UTEST=prefix selects). The nine boots take
# about 10 s once built.
RV_SV39_DISK := $(BUILD)/sv39-storage.img
RV_SV39_RUNS := sv39-svnapot:1:128:svnapot sv39-mem8g:1:8192 sv39-smp2:2:128
.PHONY: check-guest-riscv64-sv39
check-guest-riscv64-sv39: $(KERNEL_TEST_IMG) $(KERNEL_IMG) $(RV_INITRAMFS) $$(RV_SYS_INITRAMFS) \
        $$(RV_UTEST_INITRAMFS) $$(TEST_DISK) $(DEPS_STAMP)
	@set -e; for r in $(RV_SV39_RUNS); do \
	    name=$${r%%:*}; rest=$${r#*:}; n=$${rest%%:*}; rest=$${rest#*:}; mem=$${rest%%:*}; \
	    cpu=$$(case $$rest in *:svnapot) echo '$(RV_CPU_svnapot)';; esac); \
	    $(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-$$name --log $(BUILD)/$$name.log \
	        --exit-code 1 --expect "^mmu: Sv39$${cpu:+ with Svnapot}, kernel tables .*user half empty \(256 GiB\)" \
	        $$(if [ $$n -gt 1 ]; then echo "--expect ^smp:.$$n.of.$$n.CPUs.online"; fi) \
	        -- $(RV_QEMU_KTEST) -smp $$n -m $${mem}M $$cpu \
	        -append "ktest no4lvl ktest.mem=$$mem ktest.intc=plic $$(if [ $$n -gt 1 ]; then echo ktest.cpus=$$n; fi)"; \
	done
	@$(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-sv39-roottask --log $(BUILD)/sv39-roottask.log \
	    --no-plan --exit-code 1 --timeout 60 --expect '^mmu: Sv39, .*\(256 GiB\)' \
	    --expect '^Weft ready\.' --expect '^hello: started with argument 0x0*3000200000$$' \
	    --expect '^halt: status 0 from user mode' \
	    -- $(QEMU) $(QEMU_BASE) -serial stdio -monitor none -kernel $(KERNEL_IMG) \
	    -m 128M -initrd $(RV_INITRAMFS) -append 'quiet no4lvl'
	@$(PYTHON) tools/systest.py tests/system/riscv64.script \
	    --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-sv39-system --log $(BUILD)/sv39-system.log \
	    --results $(RESULTS) -- $(RV_SYSTEST_QEMU) -append no4lvl
	@rm -f $(RV_SV39_DISK) && truncate -s 4M $(RV_SV39_DISK)
	@E2FSPROGS_FAKE_TIME=1 mke2fs -q -F -t ext2 -b 1024 -I 256 -U clear -E root_owner=0:0 \
	    -L weft -d examples/disk $(RV_SV39_DISK)
	@$(PYTHON) tools/systest.py tests/system/riscv64-storage.script \
	    --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-sv39-storage --log $(BUILD)/sv39-storage.log \
	    --results $(RESULTS) -- $(QEMU) $(QEMU_BASE) -m 256M -serial stdio -monitor none \
	    -kernel $(KERNEL_IMG) -initrd $(RV_SYS_INITRAMFS) \
	    -drive file=$(RV_SV39_DISK),if=none,id=ecamdisk,format=raw \
	    -device virtio-blk-pci,drive=ecamdisk,disable-legacy=on \
	    -device virtio-rng-pci,disable-legacy=on -nic none -append no4lvl
	@STORAGE_FILE=/rv/kept.txt STORAGE_TEXT="written on riscv64" \
	    sh tests/system/aarch64-storage.sh $(RV_SV39_DISK) \
	    $(if $(RESULTS),$(RESULTS) $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-sv39-storage-disk)
	@$(PYTHON) tests/system/net.py --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-sv39-net \
	    --log $(BUILD)/sv39-net.log --results $(RESULTS) -- $(QEMU) $(QEMU_BASE) -nic none \
	    -m 256M -serial stdio -monitor none -kernel $(KERNEL_IMG) -initrd $(RV_SYS_INITRAMFS) \
	    -append no4lvl
	@for l in system storage net; do grep -q '^mmu: Sv39, .*(256 GiB)' $(BUILD)/sv39-$$l.log || \
	    { echo "sv39-$$l: the boot did not run under Sv39 ($(BUILD)/sv39-$$l.log)"; exit 1; }; done
	@$(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-sv39-utest --log $(BUILD)/sv39-utest.log \
	    --exit-code 1 --timeout 600 --expect '^mmu: Sv39, .*\(256 GiB\)' \
	    --expect '^utest: suite done, 0 failed' $(USER_DISK_EXPECT) \
	    -- $(QEMU) $(QEMU_BASE) -serial stdio -monitor none -kernel $(KERNEL_IMG) -m 256M \
	    $(QEMU_TEST_DISK) $(QEMU_TEST_RNG) -nic none -initrd $(RV_UTEST_INITRAMFS) \
	    -append "init=utest no4lvl$(if $(UTEST), utest=$(UTEST))"
ARCH_GUEST_CHECKS += check-guest-riscv64-sv39
EXTRA_HELP += "check-guest-riscv64-sv39 (ARCH=riscv64) the self-tests, the root task, the system, storage, network and the user suite under Sv39 (no4lvl): 9 boots"

# The IPC fast path's figure on riscv64 (docs/arch-riscv64.md): a release test
# image (DEBUG=0, as x86-64's make bench-ipc) runs the round-trip benchmark
# alone under -icount shift=0, where the time CSR counts instructions (one
# nanosecond each, in 100 ns steps of the 10 MHz timebase).
.PHONY: bench-ipc-riscv64
RV_RELEASE_TEST_IMG = build/$(ARCH)-c$(CLUSTER_ORDER)-release/weft-test.img
bench-ipc-riscv64:
	@mkdir -p $(BUILD)
	@$(MAKE) --no-print-directory ARCH=riscv64 DEBUG=0 kernel-test
	@$(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)-bench-ipc --log $(BUILD)/bench-ipc.log \
	    --exit-code 1 --expect '^\# riscv64 null system call \(Yield\): [0-9.]+ ns' \
	    --expect '^\# riscv64 Call \+ ReplyRecv round trip, slow path: [0-9.]+ ns' \
	    --expect '^\# riscv64 Signal to a waiting .*: [0-9.]+ ns' \
	    --expect '^\# riscv64 fault round trip .*: [0-9.]+ ns' \
	    --expect '^\# riscv64 Call \+ ReplyRecv round trip, fast path: [0-9.]+ ns' \
	    -- $(QEMU) $(QEMU_BASE) -serial stdio -monitor none \
	    -kernel $(RV_RELEASE_TEST_IMG) -m 128M -icount shift=0,sleep=off \
	    -append "ktest=umode/bench"
	@grep -h '^# riscv64 .*: [0-9.]* ns' $(BUILD)/bench-ipc.log
EXTRA_HELP += "bench-ipc-riscv64 (ARCH=riscv64) the IPC table (umode/bench_*) in guest instructions"
# make bench-vm ARCH=riscv64 (mk/extra/bench-vm.mk): on a hart with Svnapot,
# where 64 KiB clusters are mapped as NAPOT groups: the kernel-level self-test
# and the user-level VM benchmark as on x86-64, utest (the root task,
# init=utest) starting benchvm (user/bench/vm.c) with bench=vm, on the debug
# kernel (its figures use DEBUG_STAT) under -icount: an initramfs of the two
# programs, built per order (build/riscv64-cO/rvuser/).
BENCH_VM_KERNEL_QEMU := $(RV_CPU_svnapot)
RV_BENCH_INITRAMFS := $(RV_UDIR)/initramfs-bench.cpio
$(RV_UDIR)/benchvm.elf: $$(patsubst %,$(RV_UDIR)/%.ro,$$(USER_SRCS_benchvm) $$(RV_ULIB_SRCS)) \
        $(RV_ELFCHECK)
	@echo "  ULD     $@"
	@$(LD) $(USER_LDFLAGS) -o $@ $(patsubst %,$(RV_UDIR)/%.ro,$(USER_SRCS_benchvm) $(RV_ULIB_SRCS))
	@$(RV_ELFCHECK) -q $@ || { rm -f $@; exit 1; }
$(RV_BENCH_INITRAMFS): $(RV_UDIR)/utest.stripped $(RV_UDIR)/benchvm.stripped tools/mkcpio.py
	@echo "  CPIO    $@"
	@$(PYTHON) tools/mkcpio.py -o $@ utest=$(RV_UDIR)/utest.stripped \
	    benchvm=$(RV_UDIR)/benchvm.stripped
.PHONY: bench-vm-initramfs
bench-vm-initramfs: $(RV_BENCH_INITRAMFS)
BENCH_VM_IMAGES := kernel bench-vm-initramfs
BENCH_VM_KERNEL := weft.img
BENCH_VM_INITRD := rvuser/initramfs-bench.cpio
EXTRA_HELP += "bench-vm-initramfs (ARCH=riscv64) utest and benchvm, the initramfs make bench-vm boots"

# musl for riscv64 (decision 096's port, as mk/musl.mk builds it for x86-64
# and mk/arch-aarch64.mk for aarch64): the same Debian source, our port files
# laid over it (user/lib/musl/port/: arch/riscv64/syscall_arch.h sends every
# system call to __wf_syscall), built with clang --target=riscv64 (rv64imafdc,
# lp64d, medany) into a folder of its own. Dropped: musl's assembly that
# issues Linux system calls itself (its generic C versions go through the
# port's layer); kept: __set_thread_area.s, which writes tp (U-mode may), the
# setjmp family and fenv.S (fcsr, U-mode's own).
RV_MUSL_BUILD   := build/musl-riscv64
RV_MUSL_LIBC    := $(RV_MUSL_BUILD)/lib/libc.a
RV_MUSL_INCLUDE := $(RV_MUSL_BUILD)/include
RV_MUSL_DROP    := thread/riscv64/syscall_cp.s thread/riscv64/__unmapself.s \
                   thread/riscv64/clone.s signal/riscv64/restore.s
RV_MUSL_ARCH    := -march=rv64imafdc -mabi=lp64d -mcmodel=medany -mno-relax

$(RV_MUSL_LIBC): $$(MUSL_SRC)/.fetched $$(MUSL_PORT) mk/musl.mk mk/arch-riscv64.mk
	@echo "  MUSL    $@"
	@rm -rf $(RV_MUSL_BUILD) && mkdir -p $(RV_MUSL_BUILD)
	@cp -a $(MUSL_SRC) $(RV_MUSL_BUILD)/src
	@cp -a user/lib/musl/port/. $(RV_MUSL_BUILD)/src/
	@rm -f $(addprefix $(RV_MUSL_BUILD)/src/src/,$(RV_MUSL_DROP))
	@cd $(RV_MUSL_BUILD)/src && ./configure --target=riscv64 --prefix=$(abspath $(RV_MUSL_BUILD)) \
	    --disable-shared CC="$(CC) --target=riscv64-unknown-none-elf $(RV_MUSL_ARCH)" AR=llvm-ar \
	    RANLIB=llvm-ranlib CFLAGS="-O2 -g -fno-pic -fno-pie" > ../configure.log 2>&1 || \
	    { cat $(RV_MUSL_BUILD)/configure.log; exit 1; }
	@$(MAKE) --no-print-directory -s -C $(RV_MUSL_BUILD)/src install-headers install-libs \
	    > $(RV_MUSL_BUILD)/build.log 2>&1 || { tail -n 30 $(RV_MUSL_BUILD)/build.log; exit 1; }

.PHONY: musl-riscv64
musl-riscv64: $(RV_MUSL_LIBC)
EXTRA_HELP += "musl-riscv64   (ARCH=riscv64) build musl for riscv64 with Weft's port"

# Programs linked with musl on riscv64 (mtest; the servers and the shell of
# the system below): mk/musl.mk's sources and flags, the
# riscv64 musl and its crt (user/lib/musl/arch/riscv64/crt.S), objects under
# $(RV_UDIR)/musl; each ELF is checked by an elfcheck built for machine 243.
RV_MUSL_PROGS    := mtest name log console shell probe svtest fs
RV_MCFLAGS        = $(subst -mcmodel=small,-mcmodel=medany -mno-relax,$(subst \
                        -isystem $(MUSL_INCLUDE),-isystem $(RV_MUSL_INCLUDE),$(subst \
                        --target=x86_64-unknown-none-elf,--target=riscv64-unknown-none-elf \
                        -march=rv64imafdc -mabi=lp64d,$(MUSL_CFLAGS)))) -DWEFT_ELF_MACHINE=243
RV_MUSL_LIB_SRCS  = $(filter-out user/lib/musl/crt.S,$(MUSL_LIB_SRCS)) user/lib/musl/arch/riscv64/crt.S
rv_musl_objs      = $(patsubst %,$(RV_UDIR)/musl/%.o,$(1))
RV_ELFCHECK      := build/host/elfcheck-riscv64
# riscv64's long double is IEEE binary128, done in software: GCC's libgcc.a for
# riscv64 (libgcc-12-dev-riscv64-cross, tools/deps.sh) has the routines.
RV_LIBGCC        := /usr/lib/gcc-cross/riscv64-linux-gnu/12/libgcc.a

$(RV_UDIR)/musl/%.c.o: %.c $(RV_MUSL_LIBC) $(BUILD)/.ucflags $(RV_UDIR)/.flags
	@mkdir -p $(dir $@)
	@echo "  MCC     $< (riscv64)"
	@$(CC) $(RV_MCFLAGS) -MMD -MP -MF $@.d -c $< -o $@
$(RV_UDIR)/musl/%.S.o: %.S $(BUILD)/.ucflags $(RV_UDIR)/.flags
	@mkdir -p $(dir $@)
	@echo "  MAS     $< (riscv64)"
	@$(CC) $(RV_MCFLAGS) -MMD -MP -MF $@.d -c $< -o $@
-include $(wildcard $(RV_UDIR)/musl/*/*.o.d $(RV_UDIR)/musl/*/*/*.o.d \
                    $(RV_UDIR)/musl/*/*/*/*.o.d $(RV_UDIR)/musl/*/*/*/*/*.o.d)

$(RV_ELFCHECK): tools/elfcheck.c kernel/lib/elf.c kernel/include/lib/elf.h
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	@$(HOST_CC) -std=gnu17 -O1 -g -Wall -Wextra -Werror -Ikernel/include -DWEFT_ELF_MACHINE=243 \
	    -o $@ tools/elfcheck.c kernel/lib/elf.c

$(foreach p,$(RV_MUSL_PROGS),$(RV_UDIR)/$(p).elf): $(RV_UDIR)/%.elf: \
        $$(call rv_musl_objs,$$(wildcard user/$$*/*.c) $$(MUSL_SRCS_$$*) $$(RV_MUSL_LIB_SRCS)) \
        $(RV_MUSL_LIBC) $(RV_ELFCHECK)
	@echo "  ULD     $@ (musl, riscv64)"
	@$(LD) $(USER_LDFLAGS) -o $@ $(call rv_musl_objs,$(wildcard user/$*/*.c) $(MUSL_SRCS_$*) \
	    $(RV_MUSL_LIB_SRCS)) $(RV_MUSL_LIBC) $(RV_LIBGCC)
	@$(RV_ELFCHECK) -q $@ || { rm -f $@; exit 1; }

# runone (user/runone) as the root task: it runs one program of the initramfs
# (mtest, linked with the riscv64 musl) as a child with a pool of its own and
# halts with its status.
USER_SRCS_runone := $(sort $(wildcard user/runone/*.c))
$(RV_UDIR)/runone.elf: $$(patsubst %,$(RV_UDIR)/%.ro,$$(USER_SRCS_runone) $$(RV_ULIB_SRCS)) \
        $(RV_ELFCHECK)
	@echo "  ULD     $@"
	@$(LD) $(USER_LDFLAGS) -o $@ $(patsubst %,$(RV_UDIR)/%.ro,$(USER_SRCS_runone) $(RV_ULIB_SRCS))
	@$(RV_ELFCHECK) -q $@ || { rm -f $@; exit 1; }
$(RV_UDIR)/%.stripped: $(RV_UDIR)/%.elf
	@$(OBJCOPY) --strip-debug $< $@
# The self-test boots' initramfs (initramfs_ktest.c: the module found, in
# module memory, every program's load plan valid): two small-libc programs,
# hello as init and runone.
RV_KTEST_INITRAMFS := $(RV_UDIR)/initramfs-ktest.cpio
$(RV_KTEST_INITRAMFS): $(RV_UDIR)/hello.stripped $(RV_UDIR)/runone.stripped tools/mkcpio.py
	@echo "  CPIO    $@"
	@$(PYTHON) tools/mkcpio.py -o $@ init=$(RV_UDIR)/hello.stripped \
	    runone=$(RV_UDIR)/runone.stripped
check-guest-riscv64-runs check-guest-riscv64-faults check-guest-riscv64-sv39 \
    check-guest-riscv64-smp: $(RV_KTEST_INITRAMFS)
ARCH_ALL += $(RV_KTEST_INITRAMFS)
RV_MUSL_INITRAMFS := $(RV_UDIR)/initramfs-musl.cpio
$(RV_MUSL_INITRAMFS): $(RV_UDIR)/runone.stripped $(RV_UDIR)/mtest.stripped tools/mkcpio.py
	@echo "  CPIO    $@"
	@$(PYTHON) tools/mkcpio.py -o $@ init=$(RV_UDIR)/runone.stripped \
	    runone=$(RV_UDIR)/runone.stripped mtest=$(RV_UDIR)/mtest.stripped
ARCH_ALL += $(RV_MUSL_INITRAMFS)

# musl on riscv64: runone starts mtest (malloc over mmap over VMOs, TLS in tp,
# stdio, setjmp, binary128 long double formatting, the clock) with an 8 MiB
# pool; mtest exits with its failed checks (0), runone halts with that status,
# which ends QEMU through the test finisher (exit code 1).
.PHONY: check-guest-riscv64-musl
ARCH_GUEST_CHECKS += check-guest-riscv64-musl
check-guest-riscv64-musl: $(KERNEL_IMG) $(RV_MUSL_INITRAMFS) $(DEPS_STAMP)
	@$(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-musl --log $(BUILD)/musl.log \
	    --no-plan --exit-code 1 --timeout 120 \
	    --expect '^Weft ready\.' --expect '^mtest: [0-9]+ checks, 0 failed' \
	    --expect '^runone: mtest exited with status 0' --expect '^halt: status 0 from user mode' \
	    -- $(QEMU) $(QEMU_BASE) -serial stdio -monitor none -kernel $(KERNEL_IMG) \
	    -m 128M -initrd $(RV_MUSL_INITRAMFS) -append 'quiet run=mtest pool=8'

# The system on riscv64 (decision 143): init (the small libc) with the riscv64
# boot configuration (user/init/boot-riscv64.conf as boot.conf) starts name,
# log, the console server (the NS16550 through a device VMO and its line) and
# the shell (musl). make run ARCH=riscv64 boots it (ARCH_RUN_KERNEL,
# ARCH_RUN_INITRAMFS); each ELF is checked by the riscv64 elfcheck.
$(RV_UDIR)/init.elf: $$(patsubst %,$(RV_UDIR)/%.ro,$$(USER_SRCS_init) $$(RV_ULIB_SRCS)) $(RV_ELFCHECK)
	@echo "  ULD     $@"
	@$(LD) $(USER_LDFLAGS) -o $@ $(patsubst %,$(RV_UDIR)/%.ro,$(USER_SRCS_init) $(RV_ULIB_SRCS))
	@$(RV_ELFCHECK) -q $@ || { rm -f $@; exit 1; }
RV_SYS_PROGS     := init name log console shell probe
RV_SYS_INITRAMFS := $(RV_UDIR)/initramfs-system.cpio
$(RV_SYS_INITRAMFS): $(foreach p,$(RV_SYS_PROGS),$(RV_UDIR)/$(p).stripped) \
        user/init/boot-riscv64.conf tools/mkcpio.py
	@echo "  CPIO    $@"
	@$(PYTHON) tools/mkcpio.py -o $@ $(foreach p,$(RV_SYS_PROGS),$(p)=$(RV_UDIR)/$(p).stripped) \
	    boot.conf=user/init/boot-riscv64.conf
.PHONY: initramfs-riscv64-system
initramfs-riscv64-system: $(RV_SYS_INITRAMFS)
ARCH_ALL += $(RV_SYS_INITRAMFS)
ARCH_RUN_KERNEL      := $(KERNEL_IMG)
ARCH_RUN_KERNEL_TEST := $(KERNEL_TEST_IMG)
ARCH_RUN_INITRAMFS   := $(RV_SYS_INITRAMFS)
EXTRA_HELP += "initramfs-riscv64-system (ARCH=riscv64) init, name, log, console and the shell (make run)"

# The shell over the NS16550 (tools/systest.py, as aarch64's): init starts the
# servers, the shell's prompt comes, commands typed reach it through the
# console server's interrupt (PLIC source 10) and their answers come back.
RV_SYSTEST_QEMU = $(QEMU) $(QEMU_BASE) -m 256M -serial stdio -monitor none -kernel $(KERNEL_IMG) \
                  -initrd $(RV_SYS_INITRAMFS)
.PHONY: check-guest-riscv64-system
ARCH_GUEST_CHECKS += check-guest-riscv64-system
check-guest-riscv64-system: $(KERNEL_IMG) $(RV_SYS_INITRAMFS) $(DEPS_STAMP)
	@$(PYTHON) tools/systest.py tests/system/riscv64.script \
	    --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-system --log $(BUILD)/system.log \
	    --results $(RESULTS) -- $(RV_SYSTEST_QEMU)
	@$(PYTHON) tools/systest.py tests/system/port-reboot.script \
	    --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-system-reboot --log $(BUILD)/system-reboot.log \
	    --results $(RESULTS) -- $(RV_SYSTEST_QEMU)
EXTRA_HELP += "check-guest-riscv64-system (ARCH=riscv64) commands typed into the shell over the NS16550"

# The in-guest user suite (user/test, as utest) on riscv64: the runner's skip
# point (user/test/skip_riscv64.c), the tests written through the neutral
# register words and user/test/tarch.h's facts, those bound to another
# machine's hardware (I/O ports, the TSC) skipped naming the reason
# (docs/arch-riscv64.md).
RV_UTEST_SRCS = $(USER_SRCS_utest)
$(RV_UDIR)/utest.elf: $$(patsubst %,$(RV_UDIR)/%.ro,$$(RV_UTEST_SRCS) $$(RV_ULIB_SRCS)) $(RV_ELFCHECK)
	@echo "  ULD     $@"
	@$(LD) $(USER_LDFLAGS) -o $@ $(patsubst %,$(RV_UDIR)/%.ro,$(RV_UTEST_SRCS) $(RV_ULIB_SRCS))
	@$(RV_ELFCHECK) -q $@ || { rm -f $@; exit 1; }
# uchild: the suite's child program (its faults in riscv64 assembly too).
$(RV_UDIR)/uchild.elf: $$(patsubst %,$(RV_UDIR)/%.ro,$$(USER_SRCS_uchild) $$(RV_ULIB_SRCS)) \
        $(RV_ELFCHECK)
	@echo "  ULD     $@"
	@$(LD) $(USER_LDFLAGS) -o $@ $(patsubst %,$(RV_UDIR)/%.ro,$(USER_SRCS_uchild) $(RV_ULIB_SRCS))
	@$(RV_ELFCHECK) -q $@ || { rm -f $@; exit 1; }
RV_UTEST_PROGS     := utest uchild init hello name log console shell mtest svtest probe fs
RV_UTEST_INITRAMFS := $(RV_UDIR)/initramfs-utest.cpio
$(RV_UTEST_INITRAMFS): $(foreach p,$(RV_UTEST_PROGS),$(RV_UDIR)/$(p).stripped) \
        user/init/boot-riscv64.conf tools/mkcpio.py
	@echo "  CPIO    $@"
	@$(PYTHON) tools/mkcpio.py -o $@ $(foreach p,$(RV_UTEST_PROGS),$(p)=$(RV_UDIR)/$(p).stripped) \
	    boot.conf=user/init/boot-riscv64.conf
.PHONY: utest-riscv64
utest-riscv64: $(RV_UTEST_INITRAMFS)
EXTRA_HELP += "utest-riscv64  (ARCH=riscv64) build the user suite's initramfs (boot it with CMDLINE=init=utest)"

# The whole suite on the production kernel, one boot, as x86-64's check-user and
# aarch64's check-guest-aarch64-user: utest is the root task (init=utest) and
# halts with status 0 when every test passed (exit code 1 through virt's test
# finisher). UTEST=prefix selects. As on x86-64 and aarch64 the boot carries
# the pattern disk on a modern virtio-blk-pci function and a virtio-rng-pci
# one (mk/test.mk: QEMU_TEST_DISK, QEMU_TEST_RNG), which the pcibus/, vblk/,
# vrng/ and ext2fs/ tests reach through ECAM (-nic none: no default NIC);
# pcibus, vblk, vrng, fs, vnet and net join the initramfs from
# mk/extra/pcibus-ecam.mk.
.PHONY: check-guest-riscv64-utest
ARCH_GUEST_CHECKS += check-guest-riscv64-utest
check-guest-riscv64-utest: $(KERNEL_IMG) $(RV_UTEST_INITRAMFS) $$(TEST_DISK) $(DEPS_STAMP)
	@$(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-utest --log $(BUILD)/utest.log \
	    --exit-code 1 --timeout 600 --expect '^utest: suite done, 0 failed' $(USER_DISK_EXPECT) \
	    -- $(QEMU) $(QEMU_BASE) -serial stdio -monitor none -kernel $(KERNEL_IMG) -m 256M \
	    $(QEMU_TEST_DISK) $(QEMU_TEST_RNG) -nic none \
	    -initrd $(RV_UTEST_INITRAMFS) -append "init=utest$(if $(UTEST), utest=$(UTEST))"
EXTRA_HELP += "check-guest-riscv64-utest (ARCH=riscv64) the in-guest user suite (UTEST=prefix)"
