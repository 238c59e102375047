# IRQControl, IRQHandler and IOPort caps in the derivation tree against a model.
HOST_TESTS += cap_irq
HOST_SRCS_cap_irq := $(CAP_CORE_SRCS)
HOST_DEPS_cap_irq := tests/host/test_cap_world.h
HOST_ORDERS_cap_irq := 0 4
