# Server protocols on the host (test_proto.c): the generated dispatch functions
# (user/lib/weft/proto_*.c, user/test/proto_echo.c) rejecting every malformed
# message shape before a handler runs, the server loop (user/lib/weft/server.c)
# and the generated client stubs against a test double of the syscall instruction.
HOST_TESTS += proto
HOST_SRCS_proto := user/lib/weft/server.c user/lib/weft/runtime.c user/lib/weft/client.c user/test/proto_echo.c \
                   $(sort $(wildcard user/lib/weft/proto_*.c))
HOST_DEPS_proto := $(wildcard user/lib/weft/include/wf/*.h user/lib/weft/include/wf/proto/*.h) \
                   $(wildcard user/test/proto/*.h)
HOST_CFLAGS_proto := -Iuser/lib/weft/include -Iuser/test
HOST_ORDERS_proto := 0 4
