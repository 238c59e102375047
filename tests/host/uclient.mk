# Console output of user programs and the reconnect step of every client
# (user/lib/weft/runtime.c wf_console_write, user/lib/weft/client.c) against a
# test double of the syscall instruction.
HOST_TESTS += uclient
HOST_SRCS_uclient := user/lib/weft/runtime.c user/lib/weft/client.c user/lib/weft/server.c
HOST_DEPS_uclient := $(wildcard user/lib/weft/include/wf/*.h user/lib/weft/include/wf/proto/*.h)
HOST_CFLAGS_uclient := -Iuser/lib/weft/include
