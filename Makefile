# Weft — top-level Makefile.
#
#   make run            build and boot Weft in QEMU (serial console on the terminal)
#   make check          every test: format, host unit tests, in-guest suites
#   make debug          boot halted with a gdb stub; see README
#   make iso            GRUB image (BIOS and UEFI) of the same kernel
#   make help           every target
#
# Configuration: ARCH=x86_64, aarch64 or riscv64 (partial ports: docs/arch-*.md),
# CLUSTER_ORDER=0..6 (default 4: 64 KiB clusters over 4 KiB MMU pages), DEBUG=1
# (asserts on; default; DEBUG=0 builds in build/<arch>-c<order>-release/).

ARCH          ?= x86_64
CLUSTER_ORDER ?= 4
DEBUG         ?= 1

SUPPORTED_ARCHS := x86_64 aarch64 riscv64

ifeq ($(filter $(ARCH),$(SUPPORTED_ARCHS)),)
$(error ARCH=$(ARCH) is not supported; choose one of: $(SUPPORTED_ARCHS))
endif
ifeq ($(filter $(CLUSTER_ORDER),0 1 2 3 4 5 6),)
$(error CLUSTER_ORDER=$(CLUSTER_ORDER) must be an integer from 0 to 6)
endif

.DEFAULT_GOAL := all
.SECONDEXPANSION:

include mk/config.mk
include mk/arch-$(ARCH).mk
include mk/kernel.mk
include mk/host.mk
include mk/user.mk
include mk/test.mk
include mk/iso.mk
include mk/fuzz.mk
# Fragments owned by subsystems (ABI generator, benchmarks, ...).
include $(sort $(wildcard mk/extra/*.mk))

.PHONY: all help
# ARCH_ALL: what a port builds by default while it cannot run userspace.
all: $(or $(ARCH_ALL),kernel initramfs)

help:
	@echo "Weft make targets (ARCH=$(ARCH) CLUSTER_ORDER=$(CLUSTER_ORDER) DEBUG=$(DEBUG)):"
	@echo "  run            build and boot Weft in QEMU; quit with Ctrl-A X (IMAGE=test: the self-test image)"
	@echo "  check          all tests (format, host unit tests, in-guest suites, all configs)"
	@echo "  check-host     host unit tests only (Criterion, ASan+UBSan)"
	@echo "  check-guest    in-guest suites for this ARCH and CLUSTER_ORDER only"
	@echo "  check-user     the in-guest user suite (user/test, TAP) for this CLUSTER_ORDER; UTEST=prefix filters;"
	@echo "                 DEBUG=0 runs it on a release kernel (tests needing debug calls skip)"
	@echo "  debug          boot halted with a gdb stub on :1234 (see README)"
	@echo "  kernel         build $(BUILD)/weft.elf (the production kernel)"
	@echo "  kernel-test    build $(BUILD)/weft-test.elf (the test image: plus kernel/test/)"
	@echo "  check-image    fail if weft.elf holds self-test code; print both images' text sizes"
	@echo "  iso            build $(BUILD)/weft.iso (GRUB, BIOS and UEFI)"
	@echo "  format         reformat sources with clang-format"
	@echo "  format-check   fail if any source is not clang-formatted"
	@echo "  deps           install build/run/test dependencies (tools/deps.sh)"
	@echo "  clean          remove build/"
	@printf '  %s\n' $(EXTRA_HELP)
