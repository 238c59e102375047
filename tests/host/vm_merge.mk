# The merge of a hidden VMO into its last child (decision 172) against contents,
# tree, pool and mapping models, with small work budgets; CLUSTER_ORDER 0 and 4.
HOST_TESTS += vm_merge
HOST_SRCS_vm_merge := $(CAP_CORE_SRCS)
HOST_DEPS_vm_merge := tests/host/test_cap_world.h
HOST_ORDERS_vm_merge := 0 4
