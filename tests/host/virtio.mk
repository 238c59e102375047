# virtio (user/lib/weft/virtq.c, virtio.c, virtio_pci.c): split virtqueues with
# the test as the device (a hostile used ring included), negotiation over a
# fake transport, the PCI capability parser over a fake configuration space.
HOST_TESTS += virtio
HOST_SRCS_virtio := user/lib/weft/virtq.c user/lib/weft/virtio.c user/lib/weft/virtio_pci.c \
                    user/lib/weft/pci.c
HOST_DEPS_virtio := user/lib/weft/include/wf/virtq.h user/lib/weft/include/wf/virtio.h \
                    user/lib/weft/include/wf/pci.h
HOST_CFLAGS_virtio := -Iuser/lib/weft/include
