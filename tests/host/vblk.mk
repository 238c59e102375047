# The virtio-blk driver's request checks (user/vblk/blk.c): counts, the disk's
# and the buffer's ends (overflow included), buffer rights, read-only disks.
HOST_TESTS += vblk
HOST_SRCS_vblk := user/vblk/blk.c
HOST_DEPS_vblk := user/vblk/blk.h
HOST_CFLAGS_vblk := -Iuser/vblk -Iuser/lib/weft/include
