# The overlay backend (user/fs/overlay.c) over two ext2fs mounts: lookup, copy-up,
# OCI whiteouts and opaque directories, merged readdir, rename; e2fsck -fn on both
# images and the lower image unchanged after every test.
HOST_TESTS += overlay
HOST_SRCS_overlay := user/fs/overlay.c user/fs/ext2fs.c $(wildcard user/lib/fs/*.c)
HOST_DEPS_overlay := $(wildcard user/lib/fs/*.h) user/fs/ext2fs.h user/fs/overlay.h user/fs/vfs.h tests/host/ext2_util.h
HOST_CFLAGS_overlay := -Iuser/lib/fs -Iuser/fs
