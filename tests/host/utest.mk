# The in-guest suite (user/test/) on the host, against the kernel's capability
# code through the capability world's wf_call (see test_utest.c): the suites that
# need only the root task's CSpace (the others start threads and processes).
HOST_TESTS += utest
HOST_SRCS_utest := $(CAP_CORE_SRCS) user/test/runner.c kernel/test/tap.c user/test/t_boot.c \
                   user/test/t_cnode.c kernel/lib/cpio.c kernel/lib/elf.c
HOST_DEPS_utest := tests/host/test_cap_world.h user/test/wftest.h kernel/test/include/tap.h $(wildcard user/lib/weft/include/wf/*.h)
HOST_CFLAGS_utest := -Iuser/test -Iuser/lib/weft/include -Ikernel/test/include
HOST_ORDERS_utest := 0 4
