# riscv64's platform description (kernel/arch/riscv64/platform.c) on the host:
# QEMU's riscv64 virt tree read by the device-tree reader, then the ECAM host
# bridge as the root task's bootinfo gets it (INTx routes as PLIC lines).
HOST_TESTS += rvplatform
HOST_SRCS_rvplatform := kernel/genarch/fdt.c kernel/arch/riscv64/platform.c
HOST_CFLAGS_rvplatform := -idirafter kernel/arch/riscv64/include -include tests/host/rvplatform_host.h
HOST_DEPS_rvplatform := build/dt/qemu-riscv64-virt.dtb tests/host/rvplatform_host.h
