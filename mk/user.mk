# The user build: freestanding static programs for Weft's user mode, their
# libraries, and the initramfs that carries them (docs/userspace.md).
#
#   make initramfs       $(BUILD)/initramfs.cpio: init and the test programs
#   make user            every program ($(BUILD)/user/<name>.elf)
#
# Programs are linked by ld.lld at 0x400000 with every segment on pages of its
# own (text r-x, rodata r--, data rw-: W^X), then checked by tools/elfcheck, which
# runs the kernel's own load-plan validation (kernel/lib/elf.c) on them.

USER_BUILD := $(BUILD)/user
USER_CFLAGS := -std=gnu17 --target=x86_64-unknown-none-elf -ffreestanding -nostdlibinc \
               -fno-pic -fno-pie -mcmodel=small -fno-stack-protector -fno-omit-frame-pointer \
               -fno-common -ffunction-sections -fdata-sections -O2 -g $(WARNINGS) $(CONFIG_DEFS) \
               -Iuser/lib/c/include -Iuser/lib/weft/include -Iuser/test -Iuser/uchild -Iuser/bench -Iabi/include \
               -Ikernel/test/include \
               -idirafter kernel/include
USER_LDFLAGS := -static -nostdlib -e _start --image-base=0x400000 -z max-page-size=4096 \
                -z separate-loadable-segments -z noexecstack --gc-sections -z nostart-stop-gc

# The libraries every program links: the C library, the Weft runtime, and the
# pure code shared with the kernel (formatter, CPIO and ELF readers, string functions),
# and the ext2 file system library (user/lib/fs/, docs/storage.md).
USER_LIB_SRCS := $(sort $(wildcard user/lib/c/*.c user/lib/weft/*.c user/lib/weft/*.S)) \
                 kernel/lib/format.c kernel/lib/cpio.c kernel/lib/elf.c kernel/lib/string.c \
                 $(wildcard user/lib/fs/*.c)

# Programs: USER_SRCS_<name>. utest carries the in-guest suite (user/test/), the
# benchmark launcher and the test runner it shares with the kernel's self-tests
# (kernel/test/tap.c); test boots start it as the root task (init=utest). The
# benchmarks are programs of their own (user/bench/).
USER_PROGS := init utest hello uchild benchvm
USER_SRCS_init   := $(sort $(wildcard user/init/*.c))
USER_SRCS_utest  := $(sort $(wildcard user/utest/*.c user/test/*.c)) user/uchild/echo.c \
                    user/bench/launch.c kernel/test/tap.c
USER_SRCS_hello  := $(sort $(wildcard user/hello/*.c))
USER_SRCS_uchild := $(sort $(wildcard user/uchild/*.c))
USER_SRCS_benchvm := user/bench/vm.c

# Programs linked with musl instead (mk/musl.mk): user/<name>/*.c each, those of
# the candidates whose folder exists.
USER_MUSL_CANDIDATES := mtest name log console shell probe svtest vblk fs vrng lx crashwl pcibus drvtest net vnet sbench nbench
USER_MUSL_PROGS := $(foreach p,$(USER_MUSL_CANDIDATES),$(if $(wildcard user/$(p)/*.c),$(p)))

# Plain files the initramfs carries besides the programs (NAME=PATH).
INITRAMFS_FILES := $(if $(wildcard user/init/boot.conf),boot.conf=user/init/boot.conf)

USER_ELFS := $(foreach p,$(USER_PROGS) $(USER_MUSL_PROGS),$(USER_BUILD)/$(p).elf)
INITRAMFS := $(BUILD)/initramfs.cpio
ELFCHECK  := build/host/elfcheck

user_objs = $(patsubst %,$(USER_BUILD)/%.uo,$(1))
USER_LIB_OBJS := $(call user_objs,$(USER_LIB_SRCS))
USER_ALL_OBJS := $(USER_LIB_OBJS) $(foreach p,$(USER_PROGS),$(call user_objs,$(USER_SRCS_$(p))))

$(USER_BUILD)/%.c.uo: %.c $(BUILD)/.ucflags
	@mkdir -p $(dir $@)
	@echo "  UCC     $<"
	@$(CC) $(USER_CFLAGS) -MMD -MP -MF $@.d -c $< -o $@

$(USER_BUILD)/%.S.uo: %.S $(BUILD)/.ucflags
	@mkdir -p $(dir $@)
	@echo "  UAS     $<"
	@$(CC) $(USER_CFLAGS) -MMD -MP -MF $@.d -c $< -o $@

-include $(USER_ALL_OBJS:=.d)
.SECONDARY: $(USER_ALL_OBJS)

$(BUILD)/.ucflags: FORCE
	@mkdir -p $(dir $@)
	@echo '$(USER_CFLAGS) $(USER_LDFLAGS)' | cmp -s - $@ || echo '$(USER_CFLAGS) $(USER_LDFLAGS)' > $@

$(USER_BUILD)/%.elf: $$(call user_objs,$$(USER_SRCS_$$*)) $(USER_LIB_OBJS) $(ELFCHECK)
	@echo "  ULD     $@"
	@$(LD) $(USER_LDFLAGS) -o $@ $(call user_objs,$(USER_SRCS_$*)) $(USER_LIB_OBJS)
	@$(ELFCHECK) -q $@ || { rm -f $@; exit 1; }

$(ELFCHECK): tools/elfcheck.c kernel/lib/elf.c kernel/include/lib/elf.h
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	@$(HOST_CC) -std=gnu17 -O1 -g -Wall -Wextra -Werror -Ikernel/include -o $@ \
	    tools/elfcheck.c kernel/lib/elf.c

# The initramfs carries the programs without their debug sections.
$(USER_BUILD)/%.stripped: $(USER_BUILD)/%.elf
	@$(OBJCOPY) --strip-debug $< $@

$(INITRAMFS): $(USER_ELFS:.elf=.stripped) tools/mkcpio.py $(foreach f,$(INITRAMFS_FILES),$(lastword $(subst =, ,$(f))))
	@echo "  CPIO    $@"
	@$(PYTHON) tools/mkcpio.py -o $@ $(foreach p,$(USER_PROGS) $(USER_MUSL_PROGS),$(p)=$(USER_BUILD)/$(p).stripped) \
	    $(INITRAMFS_FILES)

.PHONY: user initramfs
user: $(USER_ELFS)
initramfs: $(INITRAMFS)
EXTRA_HELP += "initramfs      build $(BUILD)/initramfs.cpio (init and test programs, user/)"

include mk/musl.mk
