# Shared by the capability tests (tests/host/cap_*.mk): the kernel's capability
# core and object types compiled for the host (not the in-guest self-tests), and
# the tests' world. Nothing in them depends on CLUSTER_ORDER; they run for 0 and
# the default as every test does.
# The TCB code queues threads, so the scheduler's run queues (kernel/sched/sched.c,
# no CPU code) come along; tests/host/shim/vm_shim.c stands in for the VM system.
CAP_CORE_SRCS := $(filter-out %_ktest.c,$(sort $(wildcard kernel/cap/*.c kernel/obj/*.c))) \
                 kernel/sched/sched.c tests/host/test_cap_world.c
