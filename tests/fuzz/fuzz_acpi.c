/*
 * libFuzzer target: the ACPI reader (kernel/genarch/acpi.c) over arbitrary bytes
 * taken as physical memory from address 0, zero-padded to 128 KiB (so table
 * pointers in the input can point back into it). The first 36 bytes are also offered as an RSDP copy (the
 * Multiboot2 path); byte 0 bit 0 picks between that and acpi_rsdp_read at
 * offset 0x40 (the PVH path); bit 1 runs the BIOS-area scan over the buffer,
 * which is also seen at 0xE0000. map() hands out a fresh exact-size copy per
 * call and frees the previous, so ASan catches reads past a mapping and
 * pointers kept across calls. Properties: no crash, no undefined behaviour, a
 * failed parse leaves the output untouched, a successful one stays in bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "genarch/acpi.h"

/* The input, zero-padded to the size of the BIOS area. */
static uint8_t mem[ACPI_BIOS_AREA_LEN];
static const size_t mem_len = sizeof(mem);
static void *last;

static const void *fuzz_map(paddr_t pa, size_t len, void *ctx)
{
    (void)ctx;
    free(last);
    last = NULL;
    if (pa >= ACPI_BIOS_AREA && pa < ACPI_BIOS_AREA + ACPI_BIOS_AREA_LEN)
        pa -= ACPI_BIOS_AREA;
    if (pa > mem_len || len > mem_len - pa)
        return NULL;
    last = malloc(len ? len : 1);
    memcpy(last, mem + pa, len);
    return last;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > mem_len)
        return 0;
    memset(mem, 0, mem_len);
    memcpy(mem, data, size);
    struct acpi_rsdp r;
    paddr_t where;
    enum acpi_err e;
    if (data[0] & 2)
        e = acpi_rsdp_scan(fuzz_map, NULL, &r, &where);
    else if (data[0] & 1)
        e = acpi_rsdp_read(0x40, fuzz_map, NULL, &r);
    else
        e = acpi_rsdp_check(data, size < 36 ? size : 36, &r);
    if (e == ACPI_OK) {
        struct platform_info p, before;
        memset(&p, 0xa5, sizeof(p));
        before = p;
        struct acpi_report rep = {0};
        e = acpi_madt_parse(&r, fuzz_map, NULL, &p, &rep);
        if (e != ACPI_OK && memcmp(&p, &before, sizeof(p)) != 0)
            abort();
        if (e == ACPI_OK && (!p.acpi || p.ioapic_count > PLATFORM_MAX_IOAPICS))
            abort();
        if (!acpi_strerror(e))
            abort();
    }
    free(last);
    last = NULL;
    return 0;
}
