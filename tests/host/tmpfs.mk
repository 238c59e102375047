# tmpfs (user/fs/tmpfs.c) through the VFS (user/fs/vfs.c) and at the node
# level: files, holes, truncate, directories and readdir cookies, symlinks,
# hard links, rename, unlink while open, the memory limit, and randomized runs
# against models.
HOST_TESTS += tmpfs
HOST_SRCS_tmpfs := user/fs/tmpfs.c user/fs/vfs.c
HOST_DEPS_tmpfs := user/fs/tmpfs.h user/fs/vfs.h user/fs/vfs_srv.h
HOST_CFLAGS_tmpfs := -Iuser/fs
