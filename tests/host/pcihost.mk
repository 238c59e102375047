# PCI without firmware (decision 147): the ECAM back end of the PCI library
# (user/lib/weft/pci_ecam.c: the address computation, the accessor over a fake
# window, the one enumeration through it) and the bus server's host bridge
# (user/pcibus/host.c: the bootinfo's windows checked, BARs placed, INTx
# routed through the interrupt-map), with malformed descriptions.
HOST_TESTS += pcihost
HOST_SRCS_pcihost := user/lib/weft/pci_ecam.c user/lib/weft/pci.c user/pcibus/host.c
HOST_DEPS_pcihost := user/lib/weft/include/wf/pci.h user/pcibus/host.h abi/include/weft/bootinfo.h
HOST_CFLAGS_pcihost := -Iuser/lib/weft/include -Iuser/pcibus -Iabi/include
