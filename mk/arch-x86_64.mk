# x86_64: QEMU q35-less default PC, PVH entry via -kernel.

ARCH_KCFLAGS := --target=x86_64-unknown-none-elf -mcmodel=kernel -mno-red-zone \
                -mno-mmx -mno-sse -mno-sse2 -mno-avx -mgeneral-regs-only
ARCH_LDSCRIPT := kernel/arch/x86_64/kernel.ld
# Shared hardware support (kernel/genarch/): ACPI, the PC platform defaults and
# the frame-record backtrace.
ARCH_GENARCH := acpi.c platform.c backtrace.c

QEMU       := qemu-system-x86_64
QEMU_MEM   ?= 256M
# The exit device lets a test image end QEMU with a status: writing v to
# port 0x501 exits with (v << 1) | 1.
QEMU_BASE  := -machine pc -cpu max -smp 1 -display none -no-reboot
QEMU_TEST_DEV := -device isa-debug-exit,iobase=0x501,iosize=2
OVMF_CODE  := /usr/share/OVMF/OVMF_CODE.fd
