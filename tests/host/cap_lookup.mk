# Cap representation and CPtr resolution against a reference resolver.
CAP_CORE_SRCS := $(sort $(wildcard kernel/cap/*.c kernel/obj/*.c)) \
                 tests/host/test_cap_world.c
HOST_TESTS += cap_lookup
HOST_SRCS_cap_lookup := $(CAP_CORE_SRCS)
HOST_DEPS_cap_lookup := tests/host/test_cap_world.h
