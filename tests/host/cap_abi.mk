# The generated interface end to end: stubs, decode table, errors and details,
# TCB cap slots, syscall numbers, the worked example of docs/capabilities.md.
HOST_TESTS += cap_abi
HOST_SRCS_cap_abi := $(CAP_CORE_SRCS)
HOST_DEPS_cap_abi := tests/host/test_cap_world.h
HOST_ORDERS_cap_abi := 0 4
