# ext2 as a file server backend (user/fs/ext2fs.c over the ext2 library): every vfs
# operation, references, unlink while open through the orphan list, a crash with
# orphans left, readdir across removals; e2fsck -fn after every writing test.
HOST_TESTS += ext2fs
HOST_SRCS_ext2fs := user/fs/ext2fs.c $(wildcard user/lib/fs/*.c)
HOST_DEPS_ext2fs := $(wildcard user/lib/fs/*.h) user/fs/ext2fs.h user/fs/vfs.h tests/host/ext2_util.h
HOST_CFLAGS_ext2fs := -Iuser/lib/fs -Iuser/fs
