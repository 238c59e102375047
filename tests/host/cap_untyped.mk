# Untyped memory and Retype: placement, reset, errors, device memory, copies.
HOST_TESTS += cap_untyped
HOST_SRCS_cap_untyped := $(CAP_CORE_SRCS)
HOST_DEPS_cap_untyped := tests/host/test_cap_world.h
HOST_ORDERS_cap_untyped := 0 4
