# The file server's page cache (user/fs/pcache.c) through the VFS over ext2fs and
# tmpfs, its memory objects faked: write-back points and order, mapped stores seen
# and written back, truncate while mapped, eviction in a tiny pool, shrinking;
# e2fsck -fn after every writing test.
HOST_TESTS += pcache
HOST_SRCS_pcache := user/fs/pcache.c user/fs/vfs.c user/fs/tmpfs.c user/fs/ext2fs.c $(wildcard user/lib/fs/*.c)
HOST_DEPS_pcache := $(wildcard user/lib/fs/*.h) user/fs/pcache.h user/fs/vfs.h user/fs/vfs_srv.h user/fs/ext2fs.h user/fs/tmpfs.h tests/host/ext2_util.h
HOST_CFLAGS_pcache := -Iuser/lib/fs -Iuser/fs
