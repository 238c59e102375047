# musl, the C library of native programs (decision 096): Debian's source package,
# fetched by tools/deps.sh --source (apt verifies it against the signed archive),
# unpacked under build/src/, never copied into the repository, and built once for
# every configuration with Weft's port files (user/lib/musl/port/) laid over it.
#
#   make musl            $(MUSL_LIBC) and its headers under $(MUSL_BUILD)/include
#
# Programs listed in USER_MUSL_PROGS link it instead of the small libc in
# user/lib/c: their sources (user/<name>/*.c), the runtime (user/lib/weft), the
# layer under musl (user/lib/musl: system calls served by Weft invocations,
# program start), the ELF and CPIO readers, then libc.a.

MUSL_PKG     := musl=1.2.3-1
MUSL_SRC     := build/src/musl-1.2.3
MUSL_BUILD   := build/musl
MUSL_LIBC    := $(MUSL_BUILD)/lib/libc.a
MUSL_INCLUDE := $(MUSL_BUILD)/include
MUSL_PORT    := $(shell find user/lib/musl/port -type f)
# musl's assembly that issues Linux system calls itself; without it musl builds
# its generic C versions, which go through syscall_arch.h (the port's layer).
MUSL_DROP    := thread/x86_64/__set_thread_area.s thread/x86_64/syscall_cp.s \
                thread/x86_64/__unmapself.s thread/x86_64/clone.s \
                process/x86_64/vfork.s signal/x86_64/restore.s

$(MUSL_SRC)/.fetched: tools/deps.sh
	@echo "  FETCH   $(MUSL_PKG)"
	@tools/deps.sh --source $(MUSL_PKG) build/src
	@touch $@

$(MUSL_LIBC): $(MUSL_SRC)/.fetched $(MUSL_PORT) mk/musl.mk
	@echo "  MUSL    $@"
	@rm -rf $(MUSL_BUILD) && mkdir -p $(MUSL_BUILD)
	@cp -a $(MUSL_SRC) $(MUSL_BUILD)/src
	@cp -a user/lib/musl/port/. $(MUSL_BUILD)/src/
	@rm -f $(addprefix $(MUSL_BUILD)/src/src/,$(MUSL_DROP))
	@cd $(MUSL_BUILD)/src && ./configure --target=x86_64 --prefix=$(abspath $(MUSL_BUILD)) \
	    --disable-shared CC=$(CC) AR=llvm-ar RANLIB=llvm-ranlib \
	    CFLAGS="-O2 -g -fno-pic -fno-pie -mcmodel=small" > ../configure.log 2>&1 || \
	    { cat $(MUSL_BUILD)/configure.log; exit 1; }
	@$(MAKE) --no-print-directory -s -C $(MUSL_BUILD)/src install-headers install-libs \
	    > $(MUSL_BUILD)/build.log 2>&1 || { tail -n 30 $(MUSL_BUILD)/build.log; exit 1; }

.PHONY: musl
musl: $(MUSL_LIBC)
EXTRA_HELP += "musl           build the C library of native programs (musl with Weft's port)"

MUSL_CFLAGS := -std=gnu17 --target=x86_64-unknown-none-elf -nostdinc -isystem $(MUSL_INCLUDE) \
               -isystem $(shell $(CC) -print-resource-dir)/include \
               -fno-pic -fno-pie -mcmodel=small -fno-stack-protector -fno-omit-frame-pointer \
               -fno-common -ffunction-sections -fdata-sections -O2 -g $(WARNINGS) $(CONFIG_DEFS) \
               -DWEFT_LIBC_MUSL -Iuser/lib/musl/include -Iuser/lib/weft/include -Iabi/include -idirafter kernel/include
MUSL_LIB_SRCS := $(sort $(wildcard user/lib/musl/*.c user/lib/musl/*.S)) \
                 user/lib/weft/runtime.c user/lib/weft/client.c user/lib/weft/spawn.c user/lib/weft/server.c \
                 user/lib/weft/sock.c \
                 $(sort $(wildcard user/lib/weft/proto_*.c)) kernel/lib/cpio.c kernel/lib/elf.c \
                 $(sort $(wildcard user/lib/weft/pci*.c user/lib/weft/virt*.c))
# Sources one program links besides its own: MUSL_SRCS_<name>. The file server
# links the ext2 library and its block cache (user/lib/fs/).
MUSL_SRCS_fs  := $(sort $(wildcard user/lib/fs/*.c))
# The storage and network benchmarks share their idle spinner.
MUSL_SRCS_sbench := user/benchlib/spin.c
MUSL_SRCS_nbench := user/benchlib/spin.c
# Libraries one program links before libc.a: MUSL_LIBS_<name> (lwIP: mk/extra/lwip.mk).

musl_objs = $(patsubst %,$(USER_BUILD)/musl/%.o,$(1))
MUSL_LIB_OBJS := $(call musl_objs,$(MUSL_LIB_SRCS))
MUSL_ALL_OBJS := $(MUSL_LIB_OBJS) $(foreach p,$(USER_MUSL_PROGS),\
                     $(call musl_objs,$(wildcard user/$(p)/*.c) $(MUSL_SRCS_$(p))))

$(USER_BUILD)/musl/%.c.o: %.c $(MUSL_LIBC) $(BUILD)/.ucflags
	@mkdir -p $(dir $@)
	@echo "  MCC     $<"
	@$(CC) $(MUSL_CFLAGS) -MMD -MP -MF $@.d -c $< -o $@

$(USER_BUILD)/musl/%.S.o: %.S $(BUILD)/.ucflags
	@mkdir -p $(dir $@)
	@echo "  MAS     $<"
	@$(CC) $(MUSL_CFLAGS) -MMD -MP -MF $@.d -c $< -o $@

-include $(MUSL_ALL_OBJS:=.d)
.SECONDARY: $(MUSL_ALL_OBJS)

$(foreach p,$(USER_MUSL_PROGS),$(USER_BUILD)/$(p).elf): $(USER_BUILD)/%.elf: \
        $$(call musl_objs,$$(wildcard user/$$*/*.c) $$(MUSL_SRCS_$$*)) $(MUSL_LIB_OBJS) $(MUSL_LIBC) \
        $$(MUSL_LIBS_$$*) $(ELFCHECK)
	@echo "  ULD     $@ (musl)"
	@$(LD) $(USER_LDFLAGS) -o $@ $(call musl_objs,$(wildcard user/$*/*.c) $(MUSL_SRCS_$*)) \
	    $(MUSL_LIB_OBJS) $(MUSL_LIBS_$*) \
	    $(MUSL_LIBC)
	@$(ELFCHECK) -q $@ || { rm -f $@; exit 1; }
