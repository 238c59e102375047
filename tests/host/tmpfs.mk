# tmpfs (user/fs/tmpfs.c): files, holes, truncate, directories, symlinks, hard
# links, rename rules, unlink while open, memory limits, a randomized check of
# file contents against a flat model.
HOST_TESTS += tmpfs
HOST_SRCS_tmpfs := user/fs/tmpfs.c
HOST_DEPS_tmpfs := user/fs/tmpfs.h
HOST_CFLAGS_tmpfs := -Iuser/fs
