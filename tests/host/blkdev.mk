# The block client's write-back cache (user/lib/fs/bcache.c): against a model,
# write-back order, device errors, and the requests it saves under an ext2fs workload.
HOST_TESTS += blkdev
HOST_SRCS_blkdev := user/fs/ext2fs.c $(wildcard user/lib/fs/*.c)
HOST_DEPS_blkdev := $(wildcard user/lib/fs/*.h) user/fs/ext2fs.h user/fs/vfs.h tests/host/ext2_util.h
HOST_CFLAGS_blkdev := -Iuser/lib/fs -Iuser/fs
