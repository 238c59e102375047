# The physical memory manager against a bitmap reference model, every CLUSTER_ORDER.
HOST_TESTS += pmm
HOST_SRCS_pmm := kernel/mm/pmm.c kernel/mm/pmm_boot.c kernel/core/bootmem.c kernel/lib/avl.c
HOST_ORDERS_pmm := 0 1 2 3 4 5 6
