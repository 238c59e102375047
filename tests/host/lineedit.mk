# The console server's line editor (user/console/lineedit.c): keys, history,
# escape sequences, UTF-8 erasure, and a screen model over random input.
HOST_TESTS += lineedit
HOST_SRCS_lineedit := user/console/lineedit.c
HOST_DEPS_lineedit := user/console/lineedit.h
HOST_CFLAGS_lineedit := -Iuser/console
