# The ext2 library (user/lib/fs/): reading images made by mke2fs -d (ext2), and
# changing them with e2fsck -fn clean after every writing test (ext2_write).
HOST_TESTS += ext2
HOST_SRCS_ext2 := $(wildcard user/lib/fs/*.c)
HOST_DEPS_ext2 := $(wildcard user/lib/fs/*.h) tests/host/ext2_util.h
HOST_CFLAGS_ext2 := -Iuser/lib/fs
HOST_TESTS += ext2_write
HOST_SRCS_ext2_write := $(HOST_SRCS_ext2)
HOST_DEPS_ext2_write := $(HOST_DEPS_ext2)
HOST_CFLAGS_ext2_write := -Iuser/lib/fs
