HOST_TESTS += bootinfo
HOST_SRCS_bootinfo := kernel/arch/x86_64/boot/bootinfo.c kernel/core/bootmem.c
