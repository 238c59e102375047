# ELF64 load plans shared by the kernel and init (kernel/lib/elf.c).
HOST_TESTS += elf
HOST_SRCS_elf := kernel/lib/elf.c
HOST_ORDERS_elf := 0 4
