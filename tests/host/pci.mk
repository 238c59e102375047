# The PCI library (user/lib/weft/pci.c) against a fake configuration space:
# enumeration with bridges, BAR sizing, the capability walk, hostile data.
HOST_TESTS += pci
HOST_SRCS_pci := user/lib/weft/pci.c
HOST_DEPS_pci := user/lib/weft/include/wf/pci.h
HOST_CFLAGS_pci := -Iuser/lib/weft/include
