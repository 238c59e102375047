# The derivation tree against an explicit-tree model, through real invocations.
HOST_TESTS += cap_tree
HOST_SRCS_cap_tree := $(CAP_CORE_SRCS)
HOST_DEPS_cap_tree := tests/host/test_cap_world.h
HOST_ORDERS_cap_tree := 0 4
