# The file server's VFS (user/fs/vfs.c): paths, '..' and links across mounts,
# references put after every call (a fake backend counts them), busy mounts,
# read-only mounts, namespaces; over tmpfs and the fake, and an overlay of two
# mounts when user/fs/overlay.c is in the tree.
HOST_TESTS += vfs
HOST_SRCS_vfs := user/fs/vfs.c user/fs/tmpfs.c $(wildcard user/fs/overlay.c)
HOST_DEPS_vfs := user/fs/vfs.h user/fs/vfs_srv.h user/fs/tmpfs.h
HOST_CFLAGS_vfs := -Iuser/fs
