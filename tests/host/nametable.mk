# The name server's table (user/name/table.c): registration, replacement in
# place with its slot shuffle, visibility by badge, bounds, long names, errors.
HOST_TESTS += nametable
HOST_SRCS_nametable := user/name/table.c
HOST_DEPS_nametable := user/name/table.h $(wildcard user/lib/weft/include/wf/*.h) \
                       user/lib/weft/include/wf/proto/name.h
HOST_CFLAGS_nametable := -Iuser/lib/weft/include -Iuser/name
