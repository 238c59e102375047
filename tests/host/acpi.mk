# The ACPI RSDP/RSDT/XSDT/MADT reader (kernel/genarch/acpi.c) and the RSDP the boot
# protocols pass (kernel/arch/x86_64/boot/bootinfo.c).
HOST_TESTS += acpi
HOST_SRCS_acpi := kernel/genarch/acpi.c kernel/arch/x86_64/boot/bootinfo.c kernel/core/bootmem.c
HOST_ORDERS_acpi := 0 4
