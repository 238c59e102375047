# The PCI library (user/lib/weft/pci.c) against a fake configuration space:
# enumeration with bridges, BAR sizing, the capability walk, hostile data; and
# the PCI bus server's bookkeeping (user/pcibus/bus.c): claims, the
# configuration checks, device untyped split down to a BAR.
HOST_TESTS += pci
HOST_SRCS_pci := user/lib/weft/pci.c user/pcibus/bus.c
HOST_DEPS_pci := user/lib/weft/include/wf/pci.h user/pcibus/bus.h
HOST_CFLAGS_pci := -Iuser/lib/weft/include -Iuser/pcibus -Iabi/include
