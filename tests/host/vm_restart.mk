# The VM's bounded, restartable work (decision 088) with tiny work budgets.
HOST_TESTS += vm_restart
HOST_SRCS_vm_restart := $(CAP_CORE_SRCS)
HOST_DEPS_vm_restart := tests/host/test_cap_world.h
HOST_ORDERS_vm_restart := 0 4
