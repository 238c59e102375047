# The socket client library (user/lib/weft/sock.c, wf/sock.h) against a model of
# the network server in a test double of the syscall instruction: blocking calls
# over non-blocking messages (EAGAIN, waits, partial sends), Connect's
# EINPROGRESS and SO_ERROR, address parsing and formatting.
HOST_TESTS += usock
HOST_SRCS_usock := user/lib/weft/sock.c user/lib/weft/runtime.c user/lib/weft/client.c \
                   user/lib/weft/server.c
HOST_DEPS_usock := $(wildcard user/lib/weft/include/wf/*.h user/lib/weft/include/wf/proto/*.h)
HOST_CFLAGS_usock := -Iuser/lib/weft/include
