# The ext2 library (user/lib/fs/): images made by mke2fs -d, e2fsck after every write.
HOST_TESTS += ext2
HOST_SRCS_ext2 := $(wildcard user/lib/fs/*.c)
HOST_DEPS_ext2 := $(wildcard user/lib/fs/*.h) tests/host/ext2_util.h
HOST_CFLAGS_ext2 := -Iuser/lib/fs
