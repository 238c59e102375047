# aarch64: QEMU virt (cortex-a72, GICv2; GICv3 too), a Linux arm64 Image loaded
# by -kernel, the device tree in x0 (docs/arch-aarch64.md, decision 124).
#
# The port is partial: the generic kernel (core/main.c, system calls, threads,
# IPC, VSpaces) and a first root task (user/hello) run on it; the rest of
# userspace is not built for it yet, and two generic self-tests are bound to
# x86-64 (A64_KTEST_PENDING, decision 182).

ARCH_KCFLAGS := --target=aarch64-none-elf -mgeneral-regs-only -mcmodel=small \
                -mno-omit-leaf-frame-pointer -DWEFT_ELF_MACHINE=183
ARCH_LDSCRIPT := kernel/arch/aarch64/kernel.ld
# Shared hardware support (kernel/genarch/): the device-tree reader, the
# firmware bring-up of the other CPUs (smp_fdt.c), the
# frame-record backtrace and the ASID allocator (asid.c, decision 185).
ARCH_GENARCH := fdt.c backtrace.c smp_fdt.c asid.c
# The generic files this port links (mk/kernel.mk, decision 125): every one,
# core/main.c and the generic self-tests included, but two bound to x86-64
# (decision 182): bench_ktest.c, x86-64's ring-3 benchmark loops (x86-64
# assembly reading the TSC; aarch64's IPC table is umode/bench_*,
# bench_umode_ktest.c), and fault_fast_ktest.c, which tests the fast path of
# foreign system calls that only x86-64 has (ARCH_FAST_FOREIGN, decision 138).
A64_KTEST_PENDING := kernel/test/bench_ktest.c kernel/test/fault_fast_ktest.c
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
# Every self-test boot carries an initramfs as QEMU's -initrd (the tree's
# /chosen linux,initrd-start/-end: initramfs_ktest.c; A64_KTEST_INITRAMFS below).
A64_QEMU_KTEST = $(QEMU) $(QEMU_BASE) $(QEMU_TEST_DEV) -serial stdio -monitor none -kernel $(KERNEL_TEST_IMG) \
                 -initrd $(A64_KTEST_INITRAMFS)
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

# What check-ports (mk/extra/ports.mk, decision 145) runs at the default order
# only: the deliberate faults (each stops the kernel in arch_selftest_fault,
# before any cluster is allocated), the production boot without a root task
# (the order shows only in its banner), and the self-test boots that exist for
# the entry at EL2, the GICv3 and PAN (the mem* boots run the same self-tests
# at both orders).
PORT_ANY_ORDER_CHECKS := check-guest-aarch64-boot check-guest-aarch64-faults
A64_RUNS_ANY_ORDER    := el2 gicv3 gicv3-el2 pan
A64_RUNS_HERE = $(if $(PORT_OTHER_ORDER),$(filter-out $(addsuffix :%,$(A64_RUNS_ANY_ORDER)),$(A64_RUNS)),$(A64_RUNS))

check-guest-aarch64-runs: $(KERNEL_TEST_IMG) $(DEPS_STAMP)
	@set -e; for r in $(A64_RUNS_HERE); do \
	    name=$${r%%:*}; rest=$${r#*:}; mem=$${rest%%:*}; rest=$${rest#*:}; \
	    machine=$${rest%%:*}; rest=$${rest#*:}; el=$${rest%%:*}; cpu=$${rest#$$el}; \
	    $(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-$$name --log $(BUILD)/$$name.log \
	        --exit-code 1 --expect "^boot: entered at EL$$el" \
	        -- $(A64_QEMU_KTEST) -machine $$machine $${cpu:+-cpu $${cpu#:}} -m $${mem}M \
	        -append "ktest ktest.mem=$$mem ktest.intc=$$(case $$machine in *gic-version=3*) echo gicv3;; \
	                 *) echo gicv2;; esac)"; \
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
A64_UCFLAGS     = $(subst --target=x86_64-unknown-none-elf,--target=aarch64-unknown-none-elf,$(USER_CFLAGS)) \
                  -DWEFT_ELF_MACHINE=183
A64_ULIB_SRCS   = $(filter-out user/lib/weft/crt0.S,$(USER_LIB_SRCS)) user/lib/weft/arch/aarch64/crt0.S
A64_HELLO_OBJS  = $(patsubst %,$(A64_UDIR)/%.ao,$(USER_SRCS_hello) $(A64_ULIB_SRCS))
A64_INITRAMFS  := $(A64_UDIR)/initramfs.cpio

$(A64_UDIR)/.flags: FORCE
	@mkdir -p $(dir $@)
	@echo '$(A64_UCFLAGS) $(A64_MCFLAGS)' | cmp -s - $@ || echo '$(A64_UCFLAGS) $(A64_MCFLAGS)' > $@
$(A64_UDIR)/%.c.ao: %.c $(BUILD)/.ucflags $(A64_UDIR)/.flags
	@mkdir -p $(dir $@)
	@echo "  UCC     $< (aarch64)"
	@$(CC) $(A64_UCFLAGS) -MMD -MP -MF $@.d -c $< -o $@
$(A64_UDIR)/%.S.ao: %.S $(BUILD)/.ucflags $(A64_UDIR)/.flags
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
	@mkdir -p $(BUILD)
	@$(MAKE) --no-print-directory ARCH=aarch64 DEBUG=0 kernel-test
	@$(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)-bench-ipc --log $(BUILD)/bench-ipc.log \
	    --exit-code 1 --expect '^\# aarch64 null system call \(Yield\): [0-9.]+ ns' \
	    --expect '^\# aarch64 Call \+ ReplyRecv round trip, slow path: [0-9.]+ ns' \
	    --expect '^\# aarch64 Signal to a waiting .*: [0-9.]+ ns' \
	    --expect '^\# aarch64 fault round trip .*: [0-9.]+ ns' \
	    --expect '^\# aarch64 Call \+ ReplyRecv round trip, fast path: [0-9.]+ ns' \
	    -- $(QEMU) $(QEMU_BASE) $(QEMU_TEST_DEV) -serial stdio -monitor none \
	    -kernel $(A64_RELEASE_TEST_IMG) -m 128M -icount shift=0,sleep=off \
	    -append "ktest=umode/bench"
	@grep -h '^# aarch64 .*: [0-9.]* ns' $(BUILD)/bench-ipc.log
EXTRA_HELP += "bench-ipc-aarch64 (ARCH=aarch64) the IPC table (umode/bench_*) in guest instructions"

# make bench-vm ARCH=aarch64 (mk/extra/bench-vm.mk): the user-level VM benchmark
# as on x86-64, utest (the root task, init=utest) starting benchvm (user/bench/vm.c)
# with bench=vm, on the debug kernel (its figures use DEBUG_STAT) under -icount:
# an initramfs of the two programs, built per order (build/aarch64-cO/a64user/).
A64_BENCH_INITRAMFS := $(A64_UDIR)/initramfs-bench.cpio
$(A64_UDIR)/benchvm.elf: $$(patsubst %,$(A64_UDIR)/%.ao,$$(USER_SRCS_benchvm) $$(A64_ULIB_SRCS)) \
        $(A64_ELFCHECK)
	@echo "  ULD     $@"
	@$(LD) $(USER_LDFLAGS) -o $@ $(patsubst %,$(A64_UDIR)/%.ao,$(USER_SRCS_benchvm) $(A64_ULIB_SRCS))
	@$(A64_ELFCHECK) -q $@ || { rm -f $@; exit 1; }
$(A64_BENCH_INITRAMFS): $(A64_UDIR)/utest.stripped $(A64_UDIR)/benchvm.stripped tools/mkcpio.py
	@echo "  CPIO    $@"
	@$(PYTHON) tools/mkcpio.py -o $@ utest=$(A64_UDIR)/utest.stripped \
	    benchvm=$(A64_UDIR)/benchvm.stripped
.PHONY: bench-vm-initramfs
bench-vm-initramfs: $(A64_BENCH_INITRAMFS)
BENCH_VM_IMAGES := kernel bench-vm-initramfs
BENCH_VM_KERNEL := weft.img
BENCH_VM_INITRD := a64user/initramfs-bench.cpio
EXTRA_HELP += "bench-vm-initramfs (ARCH=aarch64) utest and benchvm, the initramfs make bench-vm boots"

# musl for aarch64 (decision 096's port, as mk/musl.mk builds it for x86-64):
# the same Debian source, our port files laid over it (user/lib/musl/port/:
# arch/aarch64/syscall_arch.h sends every system call to __wf_syscall), built
# with clang --target=aarch64 into a folder of its own. Dropped: musl's
# assembly that issues Linux system calls itself (its generic C versions go
# through the port's layer); kept: __set_thread_area.s, which writes TPIDR_EL0
# (EL0 may), and the setjmp family.
A64_MUSL_BUILD   := build/musl-aarch64
A64_MUSL_LIBC    := $(A64_MUSL_BUILD)/lib/libc.a
A64_MUSL_INCLUDE := $(A64_MUSL_BUILD)/include
A64_MUSL_DROP    := thread/aarch64/syscall_cp.s thread/aarch64/__unmapself.s \
                    thread/aarch64/clone.s signal/aarch64/restore.s

$(A64_MUSL_LIBC): $$(MUSL_SRC)/.fetched $$(MUSL_PORT) mk/musl.mk mk/arch-aarch64.mk
	@echo "  MUSL    $@"
	@rm -rf $(A64_MUSL_BUILD) && mkdir -p $(A64_MUSL_BUILD)
	@cp -a $(MUSL_SRC) $(A64_MUSL_BUILD)/src
	@cp -a user/lib/musl/port/. $(A64_MUSL_BUILD)/src/
	@rm -f $(addprefix $(A64_MUSL_BUILD)/src/src/,$(A64_MUSL_DROP))
	@cd $(A64_MUSL_BUILD)/src && ./configure --target=aarch64 --prefix=$(abspath $(A64_MUSL_BUILD)) \
	    --disable-shared CC="$(CC) --target=aarch64-unknown-none-elf" AR=llvm-ar RANLIB=llvm-ranlib \
	    CFLAGS="-O2 -g -fno-pic -fno-pie -mcmodel=small" > ../configure.log 2>&1 || \
	    { cat $(A64_MUSL_BUILD)/configure.log; exit 1; }
	@$(MAKE) --no-print-directory -s -C $(A64_MUSL_BUILD)/src install-headers install-libs \
	    > $(A64_MUSL_BUILD)/build.log 2>&1 || { tail -n 30 $(A64_MUSL_BUILD)/build.log; exit 1; }

.PHONY: musl-aarch64
musl-aarch64: $(A64_MUSL_LIBC)
EXTRA_HELP += "musl-aarch64   (ARCH=aarch64) build musl for aarch64 with Weft's port"

# Programs linked with musl on aarch64: mk/musl.mk's sources and flags, the
# aarch64 musl and its crt (user/lib/musl/arch/aarch64/crt.S), objects under
# $(A64_UDIR)/musl; each ELF is checked by an elfcheck built for machine 183.
A64_MUSL_PROGS    := mtest name log console shell svtest probe fs
A64_MCFLAGS        = $(subst -isystem $(MUSL_INCLUDE),-isystem $(A64_MUSL_INCLUDE),$(subst \
                         --target=x86_64-unknown-none-elf,--target=aarch64-unknown-none-elf,$(MUSL_CFLAGS))) \
                     -DWEFT_ELF_MACHINE=183
A64_MUSL_LIB_SRCS  = $(filter-out user/lib/musl/crt.S,$(MUSL_LIB_SRCS)) user/lib/musl/arch/aarch64/crt.S
a64_musl_objs      = $(patsubst %,$(A64_UDIR)/musl/%.o,$(1))
A64_ELFCHECK      := build/host/elfcheck-aarch64
# aarch64's long double is IEEE binary128, done in software: GCC's libgcc.a for
# aarch64 (libgcc-12-dev-arm64-cross, tools/deps.sh) has the routines.
A64_LIBGCC        := /usr/lib/gcc-cross/aarch64-linux-gnu/12/libgcc.a

$(A64_UDIR)/musl/%.c.o: %.c $(A64_MUSL_LIBC) $(BUILD)/.ucflags $(A64_UDIR)/.flags
	@mkdir -p $(dir $@)
	@echo "  MCC     $< (aarch64)"
	@$(CC) $(A64_MCFLAGS) -MMD -MP -MF $@.d -c $< -o $@
$(A64_UDIR)/musl/%.S.o: %.S $(BUILD)/.ucflags $(A64_UDIR)/.flags
	@mkdir -p $(dir $@)
	@echo "  MAS     $< (aarch64)"
	@$(CC) $(A64_MCFLAGS) -MMD -MP -MF $@.d -c $< -o $@
-include $(wildcard $(A64_UDIR)/musl/*/*.o.d $(A64_UDIR)/musl/*/*/*.o.d \
                    $(A64_UDIR)/musl/*/*/*/*.o.d $(A64_UDIR)/musl/*/*/*/*/*.o.d)

$(A64_ELFCHECK): tools/elfcheck.c kernel/lib/elf.c kernel/include/lib/elf.h
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	@$(HOST_CC) -std=gnu17 -O1 -g -Wall -Wextra -Werror -Ikernel/include -DWEFT_ELF_MACHINE=183 \
	    -o $@ tools/elfcheck.c kernel/lib/elf.c

$(foreach p,$(A64_MUSL_PROGS),$(A64_UDIR)/$(p).elf): $(A64_UDIR)/%.elf: \
        $$(call a64_musl_objs,$$(wildcard user/$$*/*.c) $$(MUSL_SRCS_$$*) $$(A64_MUSL_LIB_SRCS)) \
        $(A64_MUSL_LIBC) $(A64_ELFCHECK)
	@echo "  ULD     $@ (musl, aarch64)"
	@$(LD) $(USER_LDFLAGS) -o $@ $(call a64_musl_objs,$(wildcard user/$*/*.c) $(MUSL_SRCS_$*) \
	    $(A64_MUSL_LIB_SRCS)) $(A64_MUSL_LIBC) $(A64_LIBGCC)
	@$(A64_ELFCHECK) -q $@ || { rm -f $@; exit 1; }

# runone (user/runone) as the root task: it runs one program of the initramfs
# (mtest, linked with the aarch64 musl) as a child with a pool of its own and
# halts with its status. The small-libc programs beyond hello: A64_PROGS.
A64_PROGS := hello runone init
USER_SRCS_runone := $(sort $(wildcard user/runone/*.c))
$(A64_UDIR)/init.elf: $$(patsubst %,$(A64_UDIR)/%.ao,$$(USER_SRCS_init) $$(A64_ULIB_SRCS)) $(A64_ELFCHECK)
	@echo "  ULD     $@"
	@$(LD) $(USER_LDFLAGS) -o $@ $(patsubst %,$(A64_UDIR)/%.ao,$(USER_SRCS_init) $(A64_ULIB_SRCS))
	@$(A64_ELFCHECK) -q $@ || { rm -f $@; exit 1; }
# Every program built for aarch64 so far (make builds them: ARCH_ALL). init and
# the servers link and pass elfcheck, but init's configuration (boot.conf) and
# the console server (COM1 through I/O ports) are x86-64's: they do not run
# here yet (docs/arch-aarch64.md).
.PHONY: user-aarch64
user-aarch64: $(foreach p,$(A64_PROGS) $(A64_MUSL_PROGS),$(A64_UDIR)/$(p).elf)
ARCH_ALL += user-aarch64
A64_MUSL_INITRAMFS := $(A64_UDIR)/initramfs-musl.cpio
$(A64_UDIR)/runone.elf: $$(patsubst %,$(A64_UDIR)/%.ao,$$(USER_SRCS_runone) $$(A64_ULIB_SRCS)) \
        $(A64_ELFCHECK)
	@echo "  ULD     $@"
	@$(LD) $(USER_LDFLAGS) -o $@ $(patsubst %,$(A64_UDIR)/%.ao,$(USER_SRCS_runone) $(A64_ULIB_SRCS))
	@$(A64_ELFCHECK) -q $@ || { rm -f $@; exit 1; }
$(A64_UDIR)/%.stripped: $(A64_UDIR)/%.elf
	@$(OBJCOPY) --strip-debug $< $@
# The self-test boots' initramfs (initramfs_ktest.c: the module found, in
# module memory, every program's load plan valid): two small-libc programs,
# hello as init and runone.
A64_KTEST_INITRAMFS := $(A64_UDIR)/initramfs-ktest.cpio
$(A64_KTEST_INITRAMFS): $(A64_UDIR)/hello.stripped $(A64_UDIR)/runone.stripped tools/mkcpio.py
	@echo "  CPIO    $@"
	@$(PYTHON) tools/mkcpio.py -o $@ init=$(A64_UDIR)/hello.stripped \
	    runone=$(A64_UDIR)/runone.stripped
check-guest-aarch64-runs check-guest-aarch64-faults check-guest-aarch64-smp: $(A64_KTEST_INITRAMFS)
ARCH_ALL += $(A64_KTEST_INITRAMFS)
$(A64_MUSL_INITRAMFS): $(A64_UDIR)/runone.stripped $(A64_UDIR)/mtest.stripped tools/mkcpio.py
	@echo "  CPIO    $@"
	@$(PYTHON) tools/mkcpio.py -o $@ init=$(A64_UDIR)/runone.stripped \
	    runone=$(A64_UDIR)/runone.stripped mtest=$(A64_UDIR)/mtest.stripped
ARCH_ALL += $(A64_MUSL_INITRAMFS)

# musl on aarch64: runone starts mtest (malloc over mmap over VMOs, TLS in
# TPIDR_EL0, stdio, setjmp, long double formatting, the clock) with an 8 MiB
# pool; mtest exits with its failed checks (0), runone halts with that status.
.PHONY: check-guest-aarch64-musl
ARCH_GUEST_CHECKS += check-guest-aarch64-musl
check-guest-aarch64-musl: $(KERNEL_IMG) $(A64_MUSL_INITRAMFS) $(DEPS_STAMP)
	@$(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-musl --log $(BUILD)/musl.log \
	    --no-plan --exit-code 1 --timeout 120 \
	    --expect '^Weft ready\.' --expect '^mtest: [0-9]+ checks, 0 failed' \
	    --expect '^runone: mtest exited with status 0' --expect '^halt: status 0 from user mode' \
	    -- $(QEMU) $(QEMU_BASE) $(QEMU_TEST_DEV) -serial stdio -monitor none -kernel $(KERNEL_IMG) \
	    -m 128M -initrd $(A64_MUSL_INITRAMFS) -append 'quiet run=mtest pool=8'

# The system on aarch64: init with the aarch64 boot configuration
# (user/init/boot-aarch64.conf as boot.conf) starts name, log, the console
# server (the PL011 through a device VMO and its line: decision 154) and the
# shell. make run ARCH=aarch64 boots it (A64_RUN_KERNEL, A64_RUN_INITRAMFS).
A64_SYS_PROGS     := init name log console shell probe
A64_SYS_INITRAMFS := $(A64_UDIR)/initramfs-system.cpio
$(A64_SYS_INITRAMFS): $(foreach p,$(A64_SYS_PROGS),$(A64_UDIR)/$(p).stripped) \
        user/init/boot-aarch64.conf tools/mkcpio.py
	@echo "  CPIO    $@"
	@$(PYTHON) tools/mkcpio.py -o $@ $(foreach p,$(A64_SYS_PROGS),$(p)=$(A64_UDIR)/$(p).stripped) \
	    boot.conf=user/init/boot-aarch64.conf
ARCH_ALL += $(A64_SYS_INITRAMFS)
ARCH_RUN_KERNEL    := $(KERNEL_IMG)
ARCH_RUN_KERNEL_TEST := $(KERNEL_TEST_IMG)
ARCH_RUN_INITRAMFS := $(A64_SYS_INITRAMFS)

# The shell over the PL011 (tools/systest.py, as check-system on x86-64): init
# starts the servers, the shell's prompt comes, commands typed reach it
# through the console server's interrupt and their answers come back.
A64_SYSTEST_QEMU = $(QEMU) $(QEMU_BASE) -m 256M -serial stdio -monitor none -kernel $(KERNEL_IMG) \
                   -initrd $(A64_SYS_INITRAMFS)
.PHONY: check-guest-aarch64-system
ARCH_GUEST_CHECKS += check-guest-aarch64-system
check-guest-aarch64-system: $(KERNEL_IMG) $(A64_SYS_INITRAMFS) $(DEPS_STAMP)
	@$(PYTHON) tools/systest.py tests/system/aarch64.script \
	    --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-system --log $(BUILD)/system.log \
	    --results $(RESULTS) -- $(A64_SYSTEST_QEMU)
	@$(PYTHON) tools/systest.py tests/system/port-reboot.script \
	    --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-system-reboot --log $(BUILD)/system-reboot.log \
	    --results $(RESULTS) -- $(A64_SYSTEST_QEMU)
EXTRA_HELP += "check-guest-aarch64-system (ARCH=aarch64) commands typed into the shell over the PL011"

# The in-guest user suite (user/test, as utest) on aarch64: the runner's skip
# point per architecture, the tests written through the neutral register words
# and user/test/tarch.h's facts, those bound to x86-64's hardware (I/O ports,
# the TSC) skipped naming the reason (docs/arch-aarch64.md).
$(A64_UDIR)/utest.elf: $$(patsubst %,$(A64_UDIR)/%.ao,$$(USER_SRCS_utest) $$(A64_ULIB_SRCS)) $(A64_ELFCHECK)
	@echo "  ULD     $@"
	@$(LD) $(USER_LDFLAGS) -o $@ $(patsubst %,$(A64_UDIR)/%.ao,$(USER_SRCS_utest) $(A64_ULIB_SRCS))
	@$(A64_ELFCHECK) -q $@ || { rm -f $@; exit 1; }
# uchild: the suite's child program (its faults in aarch64 assembly too).
$(A64_UDIR)/uchild.elf: $$(patsubst %,$(A64_UDIR)/%.ao,$$(USER_SRCS_uchild) $$(A64_ULIB_SRCS)) \
        $(A64_ELFCHECK)
	@echo "  ULD     $@"
	@$(LD) $(USER_LDFLAGS) -o $@ $(patsubst %,$(A64_UDIR)/%.ao,$(USER_SRCS_uchild) $(A64_ULIB_SRCS))
	@$(A64_ELFCHECK) -q $@ || { rm -f $@; exit 1; }
# (fs, pcibus and the drivers join from mk/extra/pcibus-ecam.mk.)
A64_UTEST_PROGS     := utest uchild init hello name log console shell mtest svtest probe
A64_UTEST_INITRAMFS := $(A64_UDIR)/initramfs-utest.cpio
$(A64_UTEST_INITRAMFS): $(foreach p,$(A64_UTEST_PROGS),$(A64_UDIR)/$(p).stripped) \
        user/init/boot-aarch64.conf tools/mkcpio.py
	@echo "  CPIO    $@"
	@$(PYTHON) tools/mkcpio.py -o $@ $(foreach p,$(A64_UTEST_PROGS),$(p)=$(A64_UDIR)/$(p).stripped) \
	    boot.conf=user/init/boot-aarch64.conf
.PHONY: utest-aarch64
utest-aarch64: $(A64_UTEST_INITRAMFS)
EXTRA_HELP += "utest-aarch64  (ARCH=aarch64) build the user suite's initramfs (boot it with CMDLINE=init=utest)"

# The suite on the production kernel, as x86-64's check-user: utest is the root
# task (init=utest) and halts with status 0 when every test passed (exit code
# 1 through semihosting). UTEST=prefix selects. As on x86-64 the boot carries
# the pattern disk on a modern virtio-blk-pci function and a virtio-rng-pci
# one (mk/test.mk: QEMU_TEST_DISK, QEMU_TEST_RNG), which the pcibus/, vblk/,
# vrng/ and ext2fs/ tests reach through ECAM (-nic none: no default NIC).
.PHONY: check-guest-aarch64-user
ARCH_GUEST_CHECKS += check-guest-aarch64-user
check-guest-aarch64-user: $(KERNEL_IMG) $(A64_UTEST_INITRAMFS) $$(TEST_DISK) $(DEPS_STAMP)
	@$(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-user --log $(BUILD)/user.log \
	    --exit-code 1 --expect '^utest: suite done, 0 failed' $(USER_DISK_EXPECT) \
	    -- $(QEMU) $(QEMU_BASE) $(QEMU_TEST_DEV) -serial stdio -monitor none -kernel $(KERNEL_IMG) \
	    $(QEMU_TEST_DISK) $(QEMU_TEST_RNG) -nic none \
	    -m 256M -initrd $(A64_UTEST_INITRAMFS) -append "init=utest$(if $(UTEST), utest=$(UTEST))"
EXTRA_HELP += "check-guest-aarch64-user (ARCH=aarch64) the in-guest user suite (UTEST=prefix)"
