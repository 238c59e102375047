# The file server's VFS (user/fs/vfs.c): paths, '..' and links across mounts,
# references put after every call (a fake backend counts them), busy mounts,
# read-only mounts, namespaces; over tmpfs and the fake.
HOST_TESTS += vfs
HOST_SRCS_vfs := user/fs/vfs.c user/fs/tmpfs.c
HOST_DEPS_vfs := user/fs/vfs.h user/fs/vfs_srv.h user/fs/tmpfs.h
HOST_CFLAGS_vfs := -Iuser/fs
