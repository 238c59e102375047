# The initramfs as a read-only file system (user/fs/initrdfs.c) mounted
# through the VFS: reads, listing, links, EROFS, malformed archives.
HOST_TESTS += initrdfs
HOST_SRCS_initrdfs := user/fs/initrdfs.c user/fs/vfs.c user/fs/tmpfs.c kernel/lib/cpio.c
HOST_DEPS_initrdfs := user/fs/initrdfs.h user/fs/vfs.h user/fs/vfs_srv.h user/fs/tmpfs.h
HOST_CFLAGS_initrdfs := -Iuser/fs
