# The log server's ring (user/log/ring.c): numbering, wrap-around, Read with old
# and future sequence numbers, writer names by badge, Label's rules, formatting.
HOST_TESTS += logring
HOST_SRCS_logring := user/log/ring.c
HOST_DEPS_logring := user/log/ring.h $(wildcard user/lib/weft/include/wf/*.h) \
                     user/lib/weft/include/wf/proto/log.h
HOST_CFLAGS_logring := -Iuser/lib/weft/include -Iuser/log
