# The VM on the host: pools, regions and clones through the generated stubs and
# the kernel's own code (the capability world of test_cap_world.c), against
# per-page reference models; for CLUSTER_ORDER 0 and 4.
HOST_TESTS += vm
HOST_SRCS_vm := $(CAP_CORE_SRCS)
HOST_DEPS_vm := tests/host/test_cap_world.h
HOST_ORDERS_vm := 0 4
