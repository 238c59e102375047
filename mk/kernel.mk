# Kernel build: two images from one set of objects.
#
#   $(BUILD)/weft.elf       the production kernel: every .c/.S under kernel/
#                           except kernel/test/, other architectures' folders and
#                           kernel/genarch/ (shared hardware support: an
#                           architecture names the files it uses in ARCH_GENARCH,
#                           mk/arch-$(ARCH).mk)
#   $(BUILD)/weft-test.elf  the test image: the same objects plus kernel/test/
#                           (self-tests, the shared TAP runner, the scaffolding
#                           they need; kernel/test/arch/$(ARCH)/ for arch parts)
#
# The rule: code that exists only for tests or benchmarks lives under
# kernel/test/ and is linked only into the test image. It attaches to the
# production paths through link-time hooks (kernel/include/core/hook.h), of
# which the production image has none; `make check-image` proves that no
# self-test symbol reached weft.elf.
#
# Each image is linked twice: pass 1 with an empty symbol table, from which
# tools/ksyms.py builds the table of function names used by backtraces; pass 2
# with that table. .ksyms is placed after .text, so no function moves.

# A port that does not yet provide the whole contract names the generic files
# it links in ARCH_GENERIC_SRCS (mk/arch-$(ARCH).mk); otherwise all of them.
KSRCS_ALL := $(or $(ARCH_GENERIC_SRCS),$(shell find kernel \( -path kernel/arch -o -path kernel/genarch \
                 -o -path kernel/test/arch \) -prune -o \( -name '*.c' -o -name '*.S' \) -print | sort)) \
             $(addprefix kernel/genarch/,$(ARCH_GENARCH)) \
             $(shell find kernel/arch/$(ARCH) \( -name '*.c' -o -name '*.S' \) -print | sort) \
             $(shell find kernel/test/arch/$(ARCH) \( -name '*.c' -o -name '*.S' \) -print 2>/dev/null | sort)
KTEST_SRCS := $(filter kernel/test/%,$(KSRCS_ALL))
KSRCS      := $(filter-out $(KTEST_SRCS),$(KSRCS_ALL))
KOBJS      := $(patsubst %,$(BUILD)/%.o,$(KSRCS))
KTEST_OBJS := $(patsubst %,$(BUILD)/%.o,$(KTEST_SRCS))
KERNEL      := $(BUILD)/weft.elf
KERNEL_TEST := $(BUILD)/weft-test.elf

# Only test-image objects see the test headers (ktest.h, tap.h, ...): production
# code that includes one does not compile.
$(KTEST_OBJS): KCFLAGS_EXTRA := -Ikernel/test/include -Ikernel/test/arch/$(ARCH)

# The IPC fast path keeps no frame pointer: its entry points are called only by
# the syscall entry and call out only to paths that never return (decision 098).
$(BUILD)/kernel/ipc/fastpath.c.o $(BUILD)/kernel/ipc/fastpath_fault.c.o: KCFLAGS_EXTRA := -fomit-frame-pointer

$(BUILD)/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(KCFLAGS) $(KCFLAGS_EXTRA) -MMD -MP -c $< -o $@

$(BUILD)/%.S.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC) $(KCFLAGS) $(KCFLAGS_EXTRA) -MMD -MP -c $< -o $@

-include $(KOBJS:.o=.d) $(KTEST_OBJS:.o=.d)

# Rebuild everything when the flags change (e.g. DEBUG=0).
$(BUILD)/.kcflags: FORCE
	@mkdir -p $(dir $@)
	@echo '$(KCFLAGS)' | cmp -s - $@ || echo '$(KCFLAGS)' > $@
$(KOBJS) $(KTEST_OBJS) $(BUILD)/ksyms0.S.o $(BUILD)/ksyms.S.o $(BUILD)/ksyms-test.S.o: $(BUILD)/.kcflags
.PHONY: FORCE
FORCE:

$(BUILD)/ksyms0.S: tools/ksyms.py
	@mkdir -p $(dir $@)
	@$(PYTHON) tools/ksyms.py --empty > $@

# kernel_image ELF, OBJECTS, TAG: the two-pass link of one image.
define kernel_image
$(BUILD)/pass1$(3).elf: $(2) $(BUILD)/ksyms0.S.o $(ARCH_LDSCRIPT)
	@echo "  LD      $$@"
	@$(LD) -n -T $(ARCH_LDSCRIPT) -o $$@ $(2) $(BUILD)/ksyms0.S.o

$(BUILD)/ksyms$(3).S: $(BUILD)/pass1$(3).elf tools/ksyms.py
	@$(NM) -n --defined-only $$< | $(PYTHON) tools/ksyms.py > $$@

$(1): $(2) $(BUILD)/ksyms$(3).S.o $(ARCH_LDSCRIPT)
	@echo "  LD      $$@"
	@$(LD) -n -T $(ARCH_LDSCRIPT) -o $$@ $(2) $(BUILD)/ksyms$(3).S.o
	@$(NM) -n --defined-only $(BUILD)/pass1$(3).elf | grep -i ' t ' | grep -v ksyms > $(BUILD)/syms1$(3).txt
	@$(NM) -n --defined-only $$@ | grep -i ' t ' | grep -v ksyms > $(BUILD)/syms2$(3).txt
	@cmp -s $(BUILD)/syms1$(3).txt $(BUILD)/syms2$(3).txt || \
	    { echo "error: functions moved between link passes (ksyms layout)"; rm -f $$@; exit 1; }
endef
$(eval $(call kernel_image,$(KERNEL),$(KOBJS),))
$(eval $(call kernel_image,$(KERNEL_TEST),$(KOBJS) $(KTEST_OBJS),-test))

$(BUILD)/ksyms0.S.o $(BUILD)/ksyms.S.o $(BUILD)/ksyms-test.S.o: $(BUILD)/%.S.o: $(BUILD)/%.S
	@$(CC) $(KCFLAGS) -c $< -o $@

.PHONY: kernel kernel-test check-image
kernel: $(KERNEL)
kernel-test: $(KERNEL_TEST)

# The production image holds no self-test code: no symbol of the test image's
# own objects, and no hook table entry (core/hook.h). Prints the text sizes.
check-image: $(KERNEL) $(KERNEL_TEST)
	@$(NM) --defined-only --extern-only $(KTEST_OBJS) 2>/dev/null | awk 'NF == 3 { print $$3 }' | sort -u > $(BUILD)/ktest-syms.txt
	@$(NM) --defined-only $(KERNEL) | awk '{ print $$3 }' | sort -u > $(BUILD)/weft-syms.txt
	@leak=$$(comm -12 $(BUILD)/ktest-syms.txt $(BUILD)/weft-syms.txt; \
	    $(NM) --defined-only $(KERNEL) | grep -iE ' [a-z] (.*ktest|kw_|hook_entry_|tap_)' ); \
	ok=1; if [ -n "$$leak" ]; then ok=0; echo "check-image: test code in $(KERNEL):"; echo "$$leak" | sed 's/^/  /'; fi; \
	for img in $(KERNEL) $(KERNEL_TEST); do \
	    echo "check-image: $$img: .text $$(llvm-size -A $$img | awk '$$1 == ".text" { print $$2 }') bytes"; done; \
	$(if $(RESULTS),echo "image:$(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-no-ktest-symbols $$ok $$((1 - ok))" >> $(RESULTS);) \
	[ $$ok = 1 ]
