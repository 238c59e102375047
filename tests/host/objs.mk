# Kernel objects: the null slot stays empty (no CSpace root with slot 0 full), a
# thread cannot replace its own CSpace root, pool quotas nest, a pool lives while
# any cap to it is left (decision 111), and a Pool_Create,
# Pool_CreateContig, Pool_CreateDevice, VMO_Clone or Retype that fails at any
# allocation point changes nothing (allocation-failure injection, mm/charge.h); for
# CLUSTER_ORDER 0 and 4.
HOST_TESTS += objs
HOST_SRCS_objs := $(CAP_CORE_SRCS)
HOST_DEPS_objs := tests/host/test_cap_world.h
HOST_ORDERS_objs := 0 4
