# Shared by the capability tests (tests/host/cap_*.mk): the kernel's capability
# core and object types compiled for the host (not the in-guest self-tests), and
# the tests' world. Nothing in them depends on CLUSTER_ORDER; they run for 0 and
# the default as every test does.
CAP_CORE_SRCS := $(filter-out %_ktest.c,$(sort $(wildcard kernel/cap/*.c kernel/obj/*.c))) \
                 tests/host/test_cap_world.c
