# In-guest tests, make run / make debug, and the check target.
#
# check-guest boots a kernel once per case under tools/qemu-test (TAP on the
# serial console) for this ARCH and CLUSTER_ORDER: the self-tests and the
# deliberate faults boot the test image ($(KERNEL_TEST), mk/kernel.mk), the user
# suite boots the production kernel ($(KERNEL)), as shipped. make check runs the
# host tests, the extra check targets, then check-guest for CLUSTER_ORDER=0 and
# the default, the user suite on a release build (DEBUG=0), the boot-image tests,
# and prints the totals.

QEMU_SERIAL := -serial stdio -monitor none
QEMU_KERNEL := $(QEMU) $(QEMU_BASE) $(QEMU_SERIAL) -kernel $(KERNEL)
# Test boots carry the initramfs (init and the test programs) as a boot module.
QEMU_TESTK  := $(QEMU) $(QEMU_BASE) $(QEMU_TEST_DEV) $(QEMU_SERIAL) -kernel $(KERNEL) \
               -initrd $(INITRAMFS)
# The same with the test image (self-tests, deliberate faults).
QEMU_KTEST  := $(QEMU) $(QEMU_BASE) $(QEMU_TEST_DEV) $(QEMU_SERIAL) -kernel $(KERNEL_TEST) \
               -initrd $(INITRAMFS)
RESULTS     ?= $(abspath build/results.txt)
QTEST       := tools/qemu-test --results $(RESULTS) --timeout 120

# Self-test boots: NAME MEMORY(MiB) EXTRA-COMMAND-LINE
GUEST_RUNS := mem64:64: mem1g:1024: mem8g:8192: pit:128:timer=pit

# Deliberate faults: KIND and a regex the report must contain.
FAULT_pf     := EXCEPTION: \#PF page fault .*\[not-present write kernel\]
FAULT_ud     := EXCEPTION: \#UD invalid opcode
FAULT_wx     := EXCEPTION: \#PF page fault .*\[protection write kernel\]
FAULT_nx     := EXCEPTION: \#PF page fault .*\[protection fetch kernel instruction-fetch\]
FAULT_de     := EXCEPTION: \#DE divide error
FAULT_assert := PANIC at kernel/.*: assertion failed: one == 2
FAULTS := pf ud wx nx de assert
# What a report must show besides (FAULT_EXTRA_KIND replaces it where the report differs): registers and a symbolized backtrace.
FAULT_COMMON := --expect 'RAX [0-9a-f]{16}  RBX' --expect 'R13 [0-9a-f]{16}' \
                --expect '\#0 +0xffffffff8[0-9a-f]+ arch_selftest_fault\+0x' \
                --expect '\#[12] +0xffffffff8[0-9a-f]+ kernel_main\+0x' --expect 'System halted'
# Executing data: the faulting RIP is the data address itself.
FAULT_EXTRA_nx := --expect 'CR2 +0xffffffff80[0-9a-f]+' --expect 'RAX [0-9a-f]{16}  RBX' \
                  --expect 'System halted'
# A failed assert is a panic: message, backtrace from the asserting function.
FAULT_EXTRA_assert := --expect '\#[12] +0xffffffff8[0-9a-f]+ arch_selftest_fault\+0x' \
                      --expect 'System halted'

.PHONY: check-guest check-guest-runs check-guest-faults check-user run debug check check-report
# GUEST_CHECKS: further in-guest targets (mk/extra/*.mk add theirs), run for
# every cluster order like the ones here.
# A port without user mode yet names its own checks in ARCH_GUEST_CHECKS.
GUEST_CHECK_SET = $(or $(ARCH_GUEST_CHECKS),check-guest-runs check-guest-faults check-user $(GUEST_CHECKS))
check-guest: $$(GUEST_CHECK_SET)

check-guest-runs: $(KERNEL_TEST) $(INITRAMFS) $(DEPS_STAMP)
	@set -e; for r in $(GUEST_RUNS); do \
	    name=$${r%%:*}; rest=$${r#*:}; mem=$${rest%%:*}; extra=$${rest#*:}; \
	    $(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-$$name --log $(BUILD)/$$name.log \
	        --exit-code 1 -- $(QEMU_KTEST) -m $${mem}M -append "ktest ktest.mem=$$mem $$extra"; \
	done

check-guest-faults: $(KERNEL_TEST) $(INITRAMFS) $(DEPS_STAMP)
	@set -e; $(foreach f,$(FAULTS), \
	    $(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-fault-$(f) --log $(BUILD)/fault-$(f).log \
	        --no-plan --expect-panic --exit-code 3 --expect '$(FAULT_$(f))' \
	        $(or $(FAULT_EXTRA_$(f)),$(FAULT_COMMON)) \
	        -- $(QEMU_KTEST) -m 64M -append "ktest.fault=$(f)";)
	@$(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-no-such-init --log $(BUILD)/no-such-init.log \
	    --no-plan --expect-panic --exit-code 3 \
	    --expect 'PANIC .*root task: initramfs: "nosuch": ' -- $(QEMU_TESTK) -m 64M -append "init=nosuch"

# The in-guest user suite (user/test/) on the production kernel: the program
# utest (user/utest/), which the kernel starts as the root task in place of init
# when the command line says "init=utest" (all tests, or "utest=PREFIX"); it
# halts with status 0 when every test passed. A second boot runs the irq/ tests with timer=pit,
# where device interrupts go through the 8259 PICs instead of the I/O APIC.
# In a release build (DEBUG=0) tests that need a debug system call are skipped
# (user/test/wftest.h; the irq/ tests that take interrupts all do, so no timer=pit
# boot), and utest cannot stop the machine (DEBUG_HALT is a debug call): the run
# ends when the plan is complete, without an exit status (decision 094).
# The boot also carries a 1 MiB raw disk of a known pattern (tools/mkdisk.py) on
# a modern-only virtio-blk-pci function for the vblk/ tests (user/test/t_vblk.c),
# which skip without it; their writes go to a temporary overlay (snapshot=on).
USER_EXIT := $(if $(VARIANT),,--exit-code 1)
TEST_DISK := $(BUILD)/disk.img
QEMU_TEST_DISK := -drive file=$(TEST_DISK),if=none,id=d0,format=raw,snapshot=on \
                  -device virtio-blk-pci,drive=d0,disable-legacy=on
# and a modern-only virtio-rng-pci function for the vrng/ tests (user/test/t_vrng.c).
QEMU_TEST_RNG := -device virtio-rng-pci,disable-legacy=on
USER_DISK_EXPECT := $(if $(UTEST),,--expect '^ok [0-9]+ - vblk/driver_reads_and_writes$$' \
                    --expect '^ok [0-9]+ - vrng/driver_reads_random_bytes$$')
$(TEST_DISK): tools/mkdisk.py
	@mkdir -p $(dir $@)
	@echo "  MKDISK  $@"
	@python3 tools/mkdisk.py $@
check-user: $(KERNEL) $(INITRAMFS) $(TEST_DISK) $(DEPS_STAMP)
	@$(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-user --log $(BUILD)/user.log \
	    $(USER_EXIT) --expect '^utest: suite done, 0 failed' $(USER_DISK_EXPECT) \
	    -- $(QEMU_TESTK) $(QEMU_TEST_DISK) $(QEMU_TEST_RNG) -m 256M -append "init=utest$(if $(UTEST), utest=$(UTEST))"
	@$(if $(UTEST)$(VARIANT),true,$(QTEST) --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-user-pit-irq \
	    --log $(BUILD)/user-pit-irq.log $(USER_EXIT) -- $(QEMU_TESTK) -m 256M \
	    -append "init=utest utest=irq/ timer=pit")

# make run / debug boot the production kernel; IMAGE=test boots the test image
# (kernel self-tests: CMDLINE=ktest). A port may name its own (ARCH_RUN_*).
RUN_KERNEL := $(if $(filter test,$(IMAGE)),$(or $(ARCH_RUN_KERNEL_TEST),$(KERNEL_TEST)),$(or \
                  $(ARCH_RUN_KERNEL),$(KERNEL)))
RUN_INITRAMFS := $(or $(ARCH_RUN_INITRAMFS),$(INITRAMFS))

run: $(RUN_KERNEL) $(RUN_INITRAMFS) $(DEPS_STAMP)
	@echo "Weft in QEMU: serial console below. Quit with Ctrl-A then X."
	$(QEMU) $(QEMU_BASE) -m $(QEMU_MEM) -serial mon:stdio -kernel $(RUN_KERNEL) -initrd $(RUN_INITRAMFS) \
	    $(if $(CMDLINE),-append "$(CMDLINE)")

debug: $(RUN_KERNEL) $(INITRAMFS) $(DEPS_STAMP)
	@sed 's|@KERNEL@|$(abspath $(RUN_KERNEL))|' tools/gdbinit.in > $(BUILD)/gdbinit
	@echo "QEMU is halted with a gdb stub on localhost:1234. In another terminal:"
	@echo "    gdb -x $(BUILD)/gdbinit"
	@echo "Quit QEMU with Ctrl-A then X."
	$(QEMU) $(QEMU_BASE) -m $(QEMU_MEM) -serial mon:stdio -kernel $(RUN_KERNEL) -initrd $(INITRAMFS) -s -S \
	    $(if $(CMDLINE),-append "$(CMDLINE)")

# Everything. Sub-makes per CLUSTER_ORDER share one results file.
CHECK_ORDERS := 0 4
check: $(DEPS_STAMP)
	@rm -f $(RESULTS)
	@$(MAKE) --no-print-directory format-check
	@$(MAKE) --no-print-directory check-host
	@$(foreach t,$(CHECK_TARGETS),$(MAKE) --no-print-directory $(t) &&) true
	@$(MAKE) --no-print-directory check-image RESULTS=$(RESULTS)
	@$(foreach o,$(CHECK_ORDERS),$(MAKE) --no-print-directory check-guest CLUSTER_ORDER=$(o) RESULTS=$(RESULTS) &&) true
	@$(MAKE) --no-print-directory check-user DEBUG=0 UTEST= RESULTS=$(RESULTS)
	@$(MAKE) --no-print-directory check-iso RESULTS=$(RESULTS)
	@tools/qemu-test --report $(RESULTS)

check-report:
	@tools/qemu-test --report $(RESULTS)

FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
.PHONY: format format-check
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	@bad=$$(for f in $(FORMAT_FILES); do clang-format --dry-run -Werror $$f >/dev/null 2>&1 || echo $$f; done); \
	if [ -n "$$bad" ]; then echo "format-check: not clang-formatted (run 'make format'):"; \
	    echo "$$bad" | sed 's/^/  /'; exit 1; fi; echo "format-check: $(words $(FORMAT_FILES)) files clean"

.PHONY: clean
clean:
	rm -rf build

# The `make debug` workflow, exercised with gdb in batch mode.
.PHONY: check-debug
check-debug: $(KERNEL) $(DEPS_STAMP)
	@RESULTS=$(RESULTS) tests/system/gdb-attach.sh $(BUILD) $(QEMU) $(QEMU_BASE) -m 64M -kernel $(KERNEL)
CHECK_TARGETS += check-debug
