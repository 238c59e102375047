# Shared by the capability tests (tests/host/cap_*.mk): the kernel's capability
# core and object types compiled for the host (not the in-guest self-tests), and
# the tests' world. Nothing in them depends on CLUSTER_ORDER; they run for 0 and
# the default as every test does. The object types include the VM's (pools, VMOs,
# VSpaces), so the VM's host-compilable sources come along (tests/host/vm.mk); the
# TCB code queues threads, so the scheduler's run queues (kernel/sched/sched.c,
# no CPU code) come along too.
VM_HOST_SRCS := kernel/mm/pmm.c kernel/mm/region.c kernel/mm/fault.c kernel/mm/vmo_mem.c \
                kernel/mm/vmo_merge.c \
                kernel/mm/charge.c kernel/mm/slab.c kernel/mm/pt.c kernel/arch/x86_64/pt.c \
                kernel/lib/avl.c
CAP_CORE_SRCS := $(filter-out %_ktest.c,$(sort $(wildcard kernel/cap/*.c kernel/obj/*.c))) \
                 $(VM_HOST_SRCS) kernel/sched/sched.c tests/host/test_cap_world.c
