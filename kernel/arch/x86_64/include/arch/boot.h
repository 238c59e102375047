/* Boot protocol identifiers passed from boot.S to kmain. */
#ifndef WEFT_ARCH_BOOT_H
#define WEFT_ARCH_BOOT_H

#define BOOT_KIND_PVH 1
#define BOOT_KIND_MB2 2

#define MB2_BOOTLOADER_MAGIC 0x36d76289u
#define PVH_START_MAGIC      0x336ec578u

#endif
