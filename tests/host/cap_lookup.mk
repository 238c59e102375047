# Cap representation and CPtr resolution against a reference resolver.
HOST_TESTS += cap_lookup
HOST_SRCS_cap_lookup := $(CAP_CORE_SRCS)
HOST_DEPS_cap_lookup := tests/host/test_cap_world.h
HOST_ORDERS_cap_lookup := 0 4
