# tmpfs (user/fs/tmpfs.c): files, holes, truncate, directories, symlinks, hard
# links, rename rules, unlink while open, memory limits, randomized checks of
# file contents and of the name space against simple models.
HOST_TESTS += tmpfs
HOST_SRCS_tmpfs := user/fs/tmpfs.c
HOST_DEPS_tmpfs := user/fs/tmpfs.h
HOST_CFLAGS_tmpfs := -Iuser/fs
