# Kernel build. Every .c/.S under kernel/ except other architectures' folders
# and kernel/genarch/ (shared hardware support: an architecture names the files
# it uses in ARCH_GENARCH, mk/arch-$(ARCH).mk) is part of the kernel.
#
# The kernel is linked twice: pass 1 with an empty symbol table, from which
# tools/ksyms.py builds the table of function names used by backtraces; pass 2
# with that table. .ksyms is placed after .text, so no function moves.

KSRCS := $(shell find kernel \( -path kernel/arch -o -path kernel/genarch \) -prune -o \
             \( -name '*.c' -o -name '*.S' \) -print | sort) \
         $(addprefix kernel/genarch/,$(ARCH_GENARCH)) \
         $(shell find kernel/arch/$(ARCH) \( -name '*.c' -o -name '*.S' \) -print | sort)
KOBJS := $(patsubst %,$(BUILD)/%.o,$(KSRCS))
KERNEL := $(BUILD)/weft.elf

$(BUILD)/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(KCFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/%.S.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC) $(KCFLAGS) -MMD -MP -c $< -o $@

-include $(KOBJS:.o=.d)

# Rebuild everything when the flags change (e.g. DEBUG=0).
$(BUILD)/.kcflags: FORCE
	@mkdir -p $(dir $@)
	@echo '$(KCFLAGS)' | cmp -s - $@ || echo '$(KCFLAGS)' > $@
$(KOBJS) $(BUILD)/ksyms0.S.o $(BUILD)/ksyms.S.o: $(BUILD)/.kcflags
.PHONY: FORCE
FORCE:

$(BUILD)/ksyms0.S: tools/ksyms.py
	@mkdir -p $(dir $@)
	@$(PYTHON) tools/ksyms.py --empty > $@

$(BUILD)/pass1.elf: $(KOBJS) $(BUILD)/ksyms0.S.o $(ARCH_LDSCRIPT)
	@echo "  LD      $@"
	@$(LD) -n -T $(ARCH_LDSCRIPT) -o $@ $(KOBJS) $(BUILD)/ksyms0.S.o

$(BUILD)/ksyms.S: $(BUILD)/pass1.elf tools/ksyms.py
	@$(NM) -n --defined-only $< | $(PYTHON) tools/ksyms.py > $@

$(KERNEL): $(KOBJS) $(BUILD)/ksyms.S.o $(ARCH_LDSCRIPT)
	@echo "  LD      $@"
	@$(LD) -n -T $(ARCH_LDSCRIPT) -o $@ $(KOBJS) $(BUILD)/ksyms.S.o
	@$(NM) -n --defined-only $(BUILD)/pass1.elf | grep -i ' t ' | grep -v ksyms > $(BUILD)/syms1.txt
	@$(NM) -n --defined-only $@ | grep -i ' t ' | grep -v ksyms > $(BUILD)/syms2.txt
	@cmp -s $(BUILD)/syms1.txt $(BUILD)/syms2.txt || \
	    { echo "error: functions moved between link passes (ksyms layout)"; rm -f $@; exit 1; }

$(BUILD)/ksyms0.S.o $(BUILD)/ksyms.S.o: $(BUILD)/%.S.o: $(BUILD)/%.S
	@$(CC) $(KCFLAGS) -c $< -o $@

.PHONY: kernel
kernel: $(KERNEL)
