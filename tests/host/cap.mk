# Shared by the capability tests (tests/host/cap_*.mk): the kernel's capability
# core and object types compiled for the host, and the tests' world. Nothing in
# them depends on CLUSTER_ORDER; they run for 0 and the default as every test does.
CAP_CORE_SRCS := $(sort $(wildcard kernel/cap/*.c kernel/obj/*.c)) tests/host/test_cap_world.c
