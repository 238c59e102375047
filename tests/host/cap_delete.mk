# Destroying objects that hold caps: nested, cyclic, interleaved, preempted.
HOST_TESTS += cap_delete
HOST_SRCS_cap_delete := $(CAP_CORE_SRCS)
HOST_DEPS_cap_delete := tests/host/test_cap_world.h
HOST_ORDERS_cap_delete := 0 4
