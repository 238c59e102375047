# The user address layout (user/lib/weft/include/wf/layout.h) and how the
# runtime's start takes it from the bootinfo or the startinfo
# (user/lib/weft/runtime.c wf_start_info).
HOST_TESTS += ulayout
HOST_SRCS_ulayout := user/lib/weft/runtime.c user/lib/weft/client.c user/lib/weft/server.c
HOST_DEPS_ulayout := $(wildcard user/lib/weft/include/wf/*.h)
HOST_CFLAGS_ulayout := -Iuser/lib/weft/include
