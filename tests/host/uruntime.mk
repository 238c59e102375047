# The user runtime (user/lib/weft/runtime.c) against a test double of the
# syscall instruction: message building, reply words, errors, thread records.
HOST_TESTS += uruntime
HOST_SRCS_uruntime := user/lib/weft/runtime.c user/lib/weft/client.c user/lib/weft/server.c
HOST_DEPS_uruntime := $(wildcard user/lib/weft/include/wf/*.h)
HOST_CFLAGS_uruntime := -Iuser/lib/weft/include
HOST_ORDERS_uruntime := 0 4
