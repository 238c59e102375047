# The shell's pure text logic (user/shell/text.c): command-line splitting,
# numbers, sizes, type and rights names, and the kernel error formatter.
HOST_TESTS += shell
HOST_SRCS_shell := user/shell/text.c
HOST_DEPS_shell := user/shell/text.h
HOST_CFLAGS_shell := -Iuser/shell
