# The console server's handlers and input path (user/console/consrv.c) with the
# generated console dispatch and the server library, against a test double of
# the syscall instruction.
HOST_TESTS += consrv
HOST_SRCS_consrv := user/console/consrv.c user/console/lineedit.c user/lib/weft/server.c \
                    user/lib/weft/runtime.c user/lib/weft/client.c user/lib/weft/proto_console.c
HOST_DEPS_consrv := $(wildcard user/console/*.h user/lib/weft/include/wf/*.h \
                    user/lib/weft/include/wf/proto/*.h)
HOST_CFLAGS_consrv := -Iuser/console -Iuser/lib/weft/include
