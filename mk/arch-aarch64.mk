# aarch64: QEMU virt (cortex-a72, GICv2; GICv3 too), a Linux arm64 Image loaded
# by -kernel, the device tree in x0 (docs/arch-aarch64.md, decision 124).
#
# The port is partial: the generic kernel (core/main.c, system calls, threads,
# IPC, VSpaces) and a first root task (user/hello) run on it; the rest of
# userspace is not built for it yet, and a few generic self-tests are bound to
# x86-64's hardware (A64_KTEST_PENDING).

ARCH_KCFLAGS := --target=aarch64-none-elf -mgeneral-regs-only -mcmodel=small \
                -mno-omit-leaf-frame-pointer -DWEFT_ELF_MACHINE=183
ARCH_LDSCRIPT := kernel/arch/aarch64/kernel.ld
# Shared hardware support (kernel/genarch/): the device-tree reader and the
# frame-record backtrace.
ARCH_GENARCH := fdt.c backtrace.c
# The generic files this port links (mk/kernel.mk, decision 125): every one,
# core/main.c included, but the self-tests still bound to x86-64's hardware or
# boot: x86-64's benchmark loops (aarch64's round trip is aarch64/bench_*), the
# RTC, ACPI and the initramfs module (docs/arch-aarch64.md).
A64_KTEST_PENDING := kernel/test/bench_ktest.c kernel/test/irq_ktest.c kernel/test/platform_ktest.c \
                     kernel/test/initramfs_ktest.c
ARCH_GENERIC_SRCS := $(filter-out $(A64_KTEST_PENDING),$(shell find kernel \( -path kernel/arch \
                         -o -path kernel/genarch -o -path kernel/test/arch \) -prune -o \
                         \( -name '*.c' -o -name '*.S' \) -print | sort))

QEMU       := qemu-system-aarch64
QEMU_MEM   ?= 256M
QEMU_BASE  := -machine virt,gic-version=2 -cpu cortex-a72 -smp 1 -display none -no-reboot
# A test image ends QEMU with a status through semihosting's SYS_EXIT (the
# kernel writes status v as exit code (v << 1) | 1, as x86-64's isa-debug-exit).
QEMU_TEST_DEV := -semihosting-config enable=on,target=native

# QEMU's -kernel takes the raw Image (the arm64 header is at its first byte).
KERNEL_IMG      := $(BUILD)/weft.img
KERNEL_TEST_IMG := $(BUILD)/weft-test.img
$(BUILD)/%.img: $(BUILD)/%.elf
	@echo "  IMAGE   $@"
	@$(OBJCOPY) -O binary $< $@
kernel: $(KERNEL_IMG)
kernel-test: $(KERNEL_TEST_IMG)
ARCH_ALL := kernel

# In-guest checks for this port (mk/test.mk's check-guest runs these instead of
# its own, which need user mode): the self-tests at 64 MiB, 1 GiB and 8 GiB,
# entered at EL2, on GICv3 (at EL1 and EL2), the production image's boot, and
# the deliberate faults.
A64_QEMU_KTEST = $(QEMU) $(QEMU_BASE) $(QEMU_TEST_DEV) -serial stdio -monitor none -kernel $(KERNEL_TEST_IMG)
# name:MiB:machine:EL[:cpu]; the pan run's CPU (ARMv8.1 and later) has PAN.
A64_RUNS := mem64:64:virt:1 mem1g:1024:virt:1 mem8g:8192:virt:1 el2:128:virt,virtualization=on:2 \
            gicv3:128:virt,gic-version=3:1 gicv3-el2:128:virt,gic-version=3,virtualization=on:2 \
            pan:128:virt:1:max
A64_FAULT_pf     := EXCEPTION: data abort .*\[translation fault level [0-3], write, kernel\]
A64_FAULT_ud     := EXCEPTION: undefined instruction \(EC 0x00\)
A64_FAULT_wx     := EXCEPTION: data abort .*\[permission fault level 3, write, kernel\]
A64_FAULT_nx     := EXCEPTION: instruction abort .*\[permission fault level 3, fetch, kernel\]
A64_FAULT_brk    := EXCEPTION: breakpoint \(EC 0x3c\).*BRK \#0x77
A64_FAULT_assert := PANIC at kernel/.*: assertion failed: one == 2
A64_FAULTS := pf ud wx nx brk assert
A64_FAULT_COMMON := --expect 'X0  [0-9a-f]{16}  X1 ' --expect 'X28 [0-9a-f]{16}' \
                    --expect 'ESR +0x[0-9a-f]+ +FAR +0x' \
                    --expect '\#0 +0xffffffff[0-9a-f]+ arch_selftest_fault\+0x' \
                    --expect '\#[123] +0xffffffff[0-9a-f]+ kernel_main\+0x' --expect 'System halted'
A64_FAULT_EXTRA_nx := --expect 'FAR +0xffffffff[0-9a-f]+' --expect 'X0  [0-9a-f]{16}  X1 ' \
                      --expect 'System halted'
A64_FAULT_EXTRA_assert := --expect '\#[12] +0xffffffff[0-9a-f]+ arch_selftest_fault\+0x' \
                          --expect 'System halted'

.PHONY: check-guest-aarch64-runs check-guest-aarch64-boot check-guest-aarch64-faults
ARCH_GUEST_CHECKS := check-guest-aarch64-runs check-guest-aarch64-boot check-guest-aarch64-faults

check-guest-aarch64-runs: $(KERNEL_TEST_IMG) $(DEPS_STAMP)
	@set -e; for r in $(A64_RUNS); do \
	    name=$${r%%:*}; rest=$${r#*:}; mem=$${rest%%:*}; rest=$${rest#*:}; \
	    machine=$${rest%%:*}; rest=$${rest#*:}; el=$${rest%%:*}; cpu=$${rest#$$el}; \
	    $(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-$$name --log $(BUILD)/$$name.log \
	        --exit-code 1 --expect "^boot: entered at EL$$el" \
	        -- $(A64_QEMU_KTEST) -machine $$machine $${cpu:+-cpu $${cpu#:}} -m $${mem}M \
	        -append "ktest ktest.mem=$$mem"; \
	done

# The production image: banner, the memory map from the device tree, the
# platform line, the generic kernel ready with no root task (none is built for
# aarch64 yet), ten ticks of the timer through the GIC while the scheduler
# idles; then "poweroff" on the command line has it end QEMU through PSCI
# SYSTEM_OFF.
check-guest-aarch64-boot: $(KERNEL_IMG) $(DEPS_STAMP)
	@$(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-boot --log $(BUILD)/boot.log --no-plan \
	    --exit-code 0 \
	    --timeout 60 --expect '^Weft microkernel \(aarch64, CLUSTER_ORDER=' \
	    --expect '^boot: protocol dtb, command line "quiet poweroff"' \
	    --expect '^  \[0000000040000000-0000000040200000\) usable' \
	    --expect '^  \[0000000040200000-[0-9a-f]{16}\) kernel' \
	    --expect '^platform: device tree: GICv2 .*PL011 at 0x9000000' \
	    --expect '^timer: generic timer at [0-9]+ Hz, INTID 27, tick 100 Hz' \
	    --expect '^boot: no initramfs module: no root task to start' --expect '^Weft ready\.' \
	    --expect '^timer: 10 ticks; "poweroff" on the command line: powering off' \
	    -- $(QEMU) $(QEMU_BASE) -serial stdio -monitor none -kernel $(KERNEL_IMG) -m 128M \
	    -append 'quiet poweroff'

check-guest-aarch64-faults: $(KERNEL_TEST_IMG) $(DEPS_STAMP)
	@set -e; $(foreach f,$(A64_FAULTS), \
	    $(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-fault-$(f) --log $(BUILD)/fault-$(f).log \
	        --no-plan --expect-panic --exit-code 3 --expect '$(A64_FAULT_$(f))' \
	        $(or $(A64_FAULT_EXTRA_$(f)),$(A64_FAULT_COMMON)) \
	        -- $(A64_QEMU_KTEST) -m 64M -append "ktest.fault=$(f)";)

# make run-image ARCH=aarch64 [IMAGE=test] [CMDLINE=...]: boot the Image in QEMU
# (make run boots an ELF with an initramfs, which this port cannot use yet).
.PHONY: run-image
run-image: $(if $(filter test,$(IMAGE)),$(KERNEL_TEST_IMG),$(KERNEL_IMG))
	@echo "Weft (aarch64) in QEMU: serial console below. Quit with Ctrl-A then X."
	$(QEMU) $(QEMU_BASE) $(QEMU_TEST_DEV) -m $(QEMU_MEM) -serial mon:stdio -kernel $< \
	    $(if $(CMDLINE),-append "$(CMDLINE)")
EXTRA_HELP += "run-image      (ARCH=aarch64) boot the kernel Image in QEMU; IMAGE=test, CMDLINE=..."

# The first aarch64 root task: user/hello with the C library and the Weft
# runtime (their aarch64 parts: user/lib/weft/arch/aarch64/crt0.S and the svc
# stub of wf/syscall.h), built by these rules (mk/user.mk builds x86-64's
# programs) into an initramfs of one program that QEMU loads as -initrd.
A64_UDIR       := $(BUILD)/a64user
A64_UCFLAGS     = $(subst --target=x86_64-unknown-none-elf,--target=aarch64-unknown-none-elf,$(USER_CFLAGS))
A64_ULIB_SRCS   = $(filter-out user/lib/weft/crt0.S,$(USER_LIB_SRCS)) user/lib/weft/arch/aarch64/crt0.S
A64_HELLO_OBJS  = $(patsubst %,$(A64_UDIR)/%.ao,$(USER_SRCS_hello) $(A64_ULIB_SRCS))
A64_INITRAMFS  := $(A64_UDIR)/initramfs.cpio

$(A64_UDIR)/%.c.ao: %.c $(BUILD)/.ucflags
	@mkdir -p $(dir $@)
	@echo "  UCC     $< (aarch64)"
	@$(CC) $(A64_UCFLAGS) -MMD -MP -MF $@.d -c $< -o $@
$(A64_UDIR)/%.S.ao: %.S $(BUILD)/.ucflags
	@mkdir -p $(dir $@)
	@echo "  UAS     $< (aarch64)"
	@$(CC) $(A64_UCFLAGS) -MMD -MP -MF $@.d -c $< -o $@
-include $(wildcard $(A64_UDIR)/*/*.ao.d $(A64_UDIR)/*/*/*.ao.d $(A64_UDIR)/*/*/*/*.ao.d \
                    $(A64_UDIR)/*/*/*/*/*.ao.d)

$(A64_UDIR)/hello.elf: $$(A64_HELLO_OBJS)
	@echo "  ULD     $@"
	@$(LD) $(USER_LDFLAGS) -o $@ $(A64_HELLO_OBJS)
$(A64_INITRAMFS): $(A64_UDIR)/hello.elf tools/mkcpio.py
	@echo "  CPIO    $@"
	@$(OBJCOPY) --strip-debug $< $(A64_UDIR)/hello.stripped
	@$(PYTHON) tools/mkcpio.py -o $@ init=$(A64_UDIR)/hello.stripped

.PHONY: initramfs-aarch64 check-guest-aarch64-roottask
initramfs-aarch64: $(A64_INITRAMFS)
ARCH_ALL += $(A64_INITRAMFS)
ARCH_GUEST_CHECKS += check-guest-aarch64-roottask

# The root task: the production kernel loads init (hello) from the initramfs
# and runs it at EL0; it prints through the kernel's console call and exits
# with status 0, which ends QEMU through semihosting (exit code 1).
check-guest-aarch64-roottask: $(KERNEL_IMG) $(A64_INITRAMFS) $(DEPS_STAMP)
	@$(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-roottask --log $(BUILD)/roottask.log \
	    --no-plan --exit-code 1 --timeout 60 \
	    --expect '^root task: init \([0-9]+ bytes, [0-9]+ segments, entry 0x0*40[0-9a-f]+\)' \
	    --expect '^Weft ready\.' --expect '^hello: started with argument 0x[0-9a-f]+' \
	    --expect '^halt: status 0 from user mode' \
	    -- $(QEMU) $(QEMU_BASE) $(QEMU_TEST_DEV) -serial stdio -monitor none -kernel $(KERNEL_IMG) \
	    -m 128M -initrd $(A64_INITRAMFS) -append 'quiet'

# The IPC fast path's figure on aarch64 (docs/arch-aarch64.md): a release
# test image (DEBUG=0, as x86-64's make bench-ipc) runs the round-trip
# benchmark alone under -icount shift=0, where the counter gives instructions.
.PHONY: bench-ipc-aarch64
A64_RELEASE_TEST_IMG = build/$(ARCH)-c$(CLUSTER_ORDER)-release/weft-test.img
bench-ipc-aarch64:
	@$(MAKE) --no-print-directory ARCH=aarch64 DEBUG=0 kernel-test
	@$(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)-bench-ipc --log $(BUILD)/bench-ipc.log \
	    --exit-code 1 --expect '^\# aarch64 Call \+ ReplyRecv round trip, fast path: [0-9.]+ ns' \
	    -- $(QEMU) $(QEMU_BASE) $(QEMU_TEST_DEV) -serial stdio -monitor none \
	    -kernel $(A64_RELEASE_TEST_IMG) -m 128M -icount shift=0,sleep=off \
	    -append "ktest=aarch64/bench"
	@grep -h '^# aarch64 Call' $(BUILD)/bench-ipc.log
EXTRA_HELP += "bench-ipc-aarch64 (ARCH=aarch64) the Call + ReplyRecv round trip in guest instructions"
