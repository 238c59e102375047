# The Linux personality (docs/linux.md): user/lx runs static Linux programs.
#
#   make check-lx     build the test programs of tests/linux/ with Debian's
#                     musl-gcc (static and static-PIE) and take Debian's
#                     busybox-static; boot Weft with them (init.run=lx: lx runs
#                     each line of tests/linux/lx.rc) and boot the Linux guest
#                     (tools/linux-guest.sh's kernel, tests/linux/lxinit.c as
#                     /init) with the same files; every program's output and
#                     exit status must agree (tests/linux/run.py). In GUEST_CHECKS.
#   make bench-lx     the Linux guest benchmark's getppid, pipe and fork
#                     programs under lx: the round trip of a Linux system call
#                     through lx, a pipe round trip between two processes, and
#                     fork + exit + wait of a process with 64 MiB touched, in
#                     guest instructions (docs/linux.md)
#   make check-lx-iso two lx instances at once (tests/linux/iso.c): neither
#                     sees the other's processes or its /tmp, each /tmp
#                     charged to its own lx (tests/linux/iso-check.py); in
#                     GUEST_CHECKS
#   make run-lx       make run with busybox in the initramfs
#   make check-system-lx  the shell's `linux` command (tests/system/linux.script)
#                     on the production boot with busybox in the initramfs;
#                     in GUEST_CHECKS
#   make fuzz-elf_lx  the fuzzer of lx's executable parser (also in fuzz-smoke)

LX_DIR     := build/lx
# Test programs of processes, threads and memory.
LX_PROGS_PROC  := threads futex thrsig thrlimit jobctl forkmany alarm faults sysmisc

# Test programs of descriptors, files, /dev, /proc and waiting.
LX_PROGS_FILES := fsfiles execfs devproc waiting inet mapfile

LX_PROGS   := hello args mem remap tls clock files misc hostile readline nosys segv storm oom fork pipe signal \
              $(LX_PROGS_PROC) $(LX_PROGS_FILES)
LX_PIE     := hello args
LX_CFLAGS  := -O2 -s -std=gnu17 -Wall -Wextra -Werror
LX_MUSL    := /usr/lib/x86_64-linux-musl
LX_BUSYBOX := /bin/busybox
LX_BINS    := $(addprefix $(LX_DIR)/bin/,$(LX_PROGS) $(addsuffix -pie,$(LX_PIE)) hello-dyn)
LX_DATA    := $(shell find tests/linux/data -type f 2>/dev/null | sort)
# NAME=PATH pairs both initramfs images carry.
LX_FILES    = lx.rc=tests/linux/lx.rc $(foreach b,$(LX_PROGS) $(addsuffix -pie,$(LX_PIE)) hello-dyn,bin/$(b)=$(LX_DIR)/bin/$(b)) \
              bin/busybox=$(LX_BUSYBOX) $(foreach f,$(LX_DATA),$(patsubst tests/linux/%,%,$(f))=$(f))
LX_INITRAMFS := $(BUILD)/lx-initramfs.cpio
LX_LINUX_CPIO := $(LX_DIR)/linux.cpio

$(LX_DIR)/bin/%: tests/linux/%.c tests/linux/errname.h mk/extra/lx.mk | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  MUSLCC  $@"
	@musl-gcc -static $(LX_CFLAGS) -o $@ $<

# Static PIE: Debian's musl-gcc specs name the dynamic start files, so the
# link is spelled out (rcrt1.o relocates the program itself).
$(LX_DIR)/bin/%-pie: tests/linux/%.c tests/linux/errname.h mk/extra/lx.mk | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  MUSLCC  $@ (static-pie)"
	@musl-gcc -fPIE $(LX_CFLAGS) -nostartfiles -Wl,-static,-pie,--no-dynamic-linker,-z,text \
	    $(LX_MUSL)/rcrt1.o $(LX_MUSL)/crti.o $$(gcc -print-file-name=crtbeginS.o) $< \
	    $$(gcc -print-file-name=crtendS.o) $(LX_MUSL)/crtn.o -o $@

# Dynamically linked (an interpreter in PT_INTERP): Linux cannot find the
# interpreter in the guest, lx refuses it; both report 127.
$(LX_DIR)/bin/hello-dyn: tests/linux/hello.c mk/extra/lx.mk | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  MUSLCC  $@ (dynamic)"
	@musl-gcc $(LX_CFLAGS) -o $@ $<

$(LX_DIR)/bin/lxinit: tests/linux/lxinit.c mk/extra/lx.mk | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  MUSLCC  $@"
	@musl-gcc -static $(LX_CFLAGS) -o $@ $<

$(LX_BUSYBOX):
	@echo "lx: $(LX_BUSYBOX) is missing: tools/deps.sh installs busybox-static" >&2; exit 1

# Weft's side: the usual programs, lx's boot configuration, the test files.
$(LX_INITRAMFS): $(USER_ELFS:.elf=.stripped) $(LX_BINS) $(LX_BUSYBOX) $(LX_DATA) tests/linux/lx.rc \
                 tests/linux/lx.conf tools/mkcpio.py
	@echo "  CPIO    $@"
	@$(PYTHON) tools/mkcpio.py -o $@ $(foreach p,$(USER_PROGS) $(USER_MUSL_PROGS),$(p)=$(USER_BUILD)/$(p).stripped) \
	    lx.conf=tests/linux/lx.conf $(LX_FILES)

# Linux's side: the same files, lxinit as /init.
$(LX_LINUX_CPIO): $(LX_BINS) $(LX_DIR)/bin/lxinit $(LX_BUSYBOX) $(LX_DATA) tests/linux/lx.rc tools/mkcpio.py
	@$(PYTHON) tools/mkcpio.py -o $@ init=$(LX_DIR)/bin/lxinit $(LX_FILES)

LX_WEFT_QEMU  = $(QEMU) $(QEMU_BASE) $(QEMU_TEST_DEV) $(QEMU_SERIAL) -m 256M -kernel $(KERNEL) \
                -netdev hubport,id=lxn,hubid=0 -device virtio-net-pci,netdev=lxn \
                -initrd $(LX_INITRAMFS) -append "init.conf=lx.conf init.run=lx"
LX_LINUX_QEMU = $(QEMU) $(QEMU_BASE) $(QEMU_TEST_DEV) $(QEMU_SERIAL) -m 256M \
                -kernel $(LINUX_DIR)/vmlinuz -initrd $(LX_LINUX_CPIO) -append "$(LINUX_CMDLINE)"

.PHONY: check-lx bench-lx
check-lx: $(KERNEL) $(LX_INITRAMFS) $(LX_LINUX_CPIO) bench-linux-kernel
	@$(PYTHON) tests/linux/run.py --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-lx \
	    --results $(RESULTS) --log-dir $(BUILD) \
	    --weft '$(LX_WEFT_QEMU)' --linux '$(LX_LINUX_QEMU)' \
	    --expect '^lx: pid [0-9]+ \(nosys\): system call 999 not served: ENOSYS' \
	    --expect '^lx: pid [0-9]+ \(segv\): SIGSEGV: write at 0, rip 0x' \
	    --expect '^lx: /bin/hello-dyn: cannot run: dynamically linked' \
	    --type 'type a line:=typed on the console\n' \
	    --weft-end 'weft-only /bin/oom=signal 11' --expect '^lx: pid [0-9]+ \(oom\): SIGSEGV: write at 0x' \
	    $(if $(VARIANT),--no-status,--status 1)
GUEST_CHECKS += check-lx
EXTRA_HELP += "check-lx       lx runs static Linux programs and busybox as Linux does (tests/linux)"

# The shell's `linux` command (tests/system/linux.script): the production boot
# (init's boot.conf, the shell) with busybox and a script added to the initramfs.
LX_SYSTEM_INITRAMFS := $(BUILD)/lx-system-initramfs.cpio
$(LX_SYSTEM_INITRAMFS): $(USER_ELFS:.elf=.stripped) $(LX_BUSYBOX) tests/system/pipe.sh tools/mkcpio.py \
                        $(foreach f,$(INITRAMFS_FILES),$(lastword $(subst =, ,$(f))))
	@echo "  CPIO    $@"
	@$(PYTHON) tools/mkcpio.py -o $@ $(foreach p,$(USER_PROGS) $(USER_MUSL_PROGS),$(p)=$(USER_BUILD)/$(p).stripped) \
	    $(INITRAMFS_FILES) bin/busybox=$(LX_BUSYBOX) data/pipe.sh=tests/system/pipe.sh

.PHONY: check-system-lx
check-system-lx: $(KERNEL) $(LX_SYSTEM_INITRAMFS) $(DEPS_STAMP)
	@$(PYTHON) tools/systest.py tests/system/linux.script --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-system-lx \
	    --log $(BUILD)/system-lx.log --results $(RESULTS) -- \
	    $(QEMU) $(QEMU_BASE) -m $(QEMU_MEM) -serial stdio -monitor none -kernel $(KERNEL) \
	    -initrd $(LX_SYSTEM_INITRAMFS)
GUEST_CHECKS += check-system-lx

# Two lx instances side by side (tests/linux/iso.c): neither sees the
# other's processes or files (tests/linux/iso-check.py reads the log). lxb
# is lx under a second name (init runs each name once).
LX_ISO_INITRAMFS := $(BUILD)/lx-iso-initramfs.cpio
$(LX_ISO_INITRAMFS): $(USER_ELFS:.elf=.stripped) $(LX_DIR)/bin/iso tests/linux/iso.conf tests/linux/iso.rc \
                     tools/mkcpio.py
	@echo "  CPIO    $@"
	@$(PYTHON) tools/mkcpio.py -o $@ $(foreach p,$(USER_PROGS) $(USER_MUSL_PROGS),$(p)=$(USER_BUILD)/$(p).stripped) \
	    lxb=$(USER_BUILD)/lx.stripped lx.conf=tests/linux/iso.conf lx.rc=tests/linux/iso.rc bin/iso=$(LX_DIR)/bin/iso

.PHONY: check-lx-iso
check-lx-iso: $(KERNEL) $(LX_ISO_INITRAMFS) tests/linux/iso-check.py
	@timeout 180 $(QEMU) $(QEMU_BASE) $(QEMU_TEST_DEV) $(QEMU_SERIAL) -m 256M -kernel $(KERNEL) \
	    -initrd $(LX_ISO_INITRAMFS) -append "init.conf=lx.conf init.run=lx,lxb" > $(BUILD)/lx-iso.log 2>&1; \
	grep '^iso: ' $(BUILD)/lx-iso.log; \
	if $(PYTHON) tests/linux/iso-check.py $(BUILD)/lx-iso.log; then \
	    echo "$(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-lx-iso 1 0" >> $(RESULTS); \
	    echo "ok - two lx instances see neither each other's processes nor each other's /tmp"; \
	else echo "$(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-lx-iso 0 1" >> $(RESULTS); \
	    echo "not ok - lx isolation (log: $(BUILD)/lx-iso.log)"; exit 1; fi
GUEST_CHECKS += check-lx-iso
EXTRA_HELP += "check-lx-iso   two lx instances side by side see neither each other's processes nor /tmp"

# make run with busybox in the initramfs: `linux /bin/busybox sh` at the prompt.
.PHONY: run-lx
run-lx: $(KERNEL) $(LX_SYSTEM_INITRAMFS) $(DEPS_STAMP)
	@echo "Weft in QEMU with busybox: try 'linux /bin/busybox sh'. Quit with Ctrl-A then X."
	$(QEMU) $(QEMU_BASE) -m $(QEMU_MEM) -serial mon:stdio -kernel $(KERNEL) -initrd $(LX_SYSTEM_INITRAMFS)
EXTRA_HELP += "run-lx         make run with busybox in the initramfs (linux /bin/busybox sh)"
EXTRA_HELP += "check-system-lx the shell's linux command runs busybox under lx (tests/system/linux.script)"

# The benchmark: the Linux guest's getppid, pipe and fork programs run by lx, under -icount.
LX_BENCH_INITRAMFS := $(BUILD)/lx-bench-initramfs.cpio
LX_BENCH_PROGS := getppid pipe touch fork forkwrite idle exec
$(LX_BENCH_INITRAMFS): $(USER_ELFS:.elf=.stripped) $(addprefix $(LINUX_DIR)/bin/,$(LX_BENCH_PROGS)) \
                       $(LX_BUSYBOX) tests/linux/lx-bench.conf tests/linux/bench.rc tools/mkcpio.py
	@$(PYTHON) tools/mkcpio.py -o $@ $(foreach p,$(USER_PROGS) $(USER_MUSL_PROGS),$(p)=$(USER_BUILD)/$(p).stripped) \
	    lx.conf=tests/linux/lx-bench.conf lx.rc=tests/linux/bench.rc bin/busybox=$(LX_BUSYBOX) \
	    $(foreach p,$(LX_BENCH_PROGS),bench/$(p)=$(LINUX_DIR)/bin/$(p))
# The figures go to bench/results/lx-$(ARCH).json (make figures: build/figures/,
# compared by check-figures; bench/linux/lxresults.py fails on a missing one).
BENCH_LX_JSON ?= bench/results/lx-$(ARCH).json
bench-lx: $(KERNEL) $(LX_BENCH_INITRAMFS)
	@$(QEMU) $(QEMU_BASE) $(QEMU_TEST_DEV) $(QEMU_SERIAL) $(QEMU_ICOUNT) -m 2G -kernel $(KERNEL) \
	    -initrd $(LX_BENCH_INITRAMFS) -append "init.conf=lx.conf init.run=lx" | tee $(BUILD)/bench-lx.log \
	    | grep --line-buffered '"bench"'; true
	@mkdir -p $(dir $(BENCH_LX_JSON))
	@$(PYTHON) bench/linux/lxresults.py $(BUILD)/bench-lx.log --json $(BENCH_LX_JSON)
EXTRA_HELP += "bench-lx       Linux getppid, pipe and fork (64 MiB) through lx, in guest instructions (docs/linux.md)"

# The fuzzer of the executable parser.
FUZZERS += elf_lx
FUZZ_SRCS_elf_lx   := user/lx/lxelf.c
FUZZ_CFLAGS_elf_lx := -Iuser/lx
.PHONY: fuzz-elf_lx
fuzz-elf_lx: build/fuzz/fuzz_elf_lx
	@mkdir -p build/fuzz/corpus-elf_lx
	$< -max_total_time=$(FUZZ_SECONDS) -max_len=4096 build/fuzz/corpus-elf_lx tests/fuzz/seeds-elf_lx
fuzz-smoke: build/fuzz/fuzz_elf_lx
