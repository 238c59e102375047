HOST_TESTS += bootmem
HOST_SRCS_bootmem := kernel/core/bootmem.c
HOST_ORDERS_bootmem := 0 4
