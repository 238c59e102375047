# Toolchain and flags shared by every configuration.

# Release builds (DEBUG=0) get folders of their own, so that switching does not
# rebuild everything.
VARIANT   := $(if $(filter 0,$(DEBUG)),-release)
BUILD     := build/$(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)
CC        := clang
LD        := ld.lld
NM        := llvm-nm
OBJCOPY   := llvm-objcopy
PYTHON    := python3

# Dependency probe: `make run` / `make check` call tools/deps.sh when a tool is missing.
DEPS_STAMP := build/.deps-ok
$(DEPS_STAMP): tools/deps.sh
	@tools/deps.sh --check >/dev/null 2>&1 || tools/deps.sh
	@mkdir -p $(dir $@) && touch $@

.PHONY: deps
deps:
	tools/deps.sh

WARNINGS := -Wall -Wextra -Werror -Wno-unused-parameter -Wstrict-prototypes \
            -Wmissing-prototypes -Wshadow -Wvla

CONFIG_DEFS := -DCLUSTER_ORDER=$(CLUSTER_ORDER) -DWEFT_ARCH_$(ARCH)=1 -DWEFT_ARCH_NAME=\"$(ARCH)\"
ifeq ($(DEBUG),1)
CONFIG_DEFS += -DWEFT_DEBUG=1
endif
# X86_PCID=1: x86-64 tags TLB entries with a PCID per address space (decision
# 174; off by default). Kernel objects rebuild when it changes ($(BUILD)/.kcflags).
X86_PCID ?= 0
ifeq ($(X86_PCID),1)
CONFIG_DEFS += -DX86_PCID=1
endif
# ASID_BITS=n: aarch64 and riscv64 use at most n bits of ASID (1-16; decision
# 185), to run the generation rollover often; default: what the hardware has.
ifneq ($(ASID_BITS),)
CONFIG_DEFS += -DASID_BITS=$(ASID_BITS)
endif

# Kernel: freestanding, no red zone, no SSE in kernel code, frame pointers for
# backtraces.
KCFLAGS = -std=gnu17 -ffreestanding -fno-builtin -nostdlib -fno-stack-protector \
           -fno-omit-frame-pointer -fno-pic -fno-pie -fno-common -O2 -g \
           $(WARNINGS) $(CONFIG_DEFS) $(ARCH_KCFLAGS) \
           -Ikernel/include -Ikernel/arch/$(ARCH)/include -Iabi/include -I$(BUILD)/gen
