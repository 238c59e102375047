/*
 * libFuzzer target: the PVH and Multiboot2 parsers over arbitrary bytes placed
 * in a fake physical memory. The first byte picks the protocol. Properties: no
 * crash, no out-of-bounds read (ASan), no undefined behaviour (UBSan), and a
 * success always leaves a consistent boot memory description.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/boot.h"
#include "arch/bootinfo.h"

#define MEM_SIZE 0x4000
static uint8_t *mem;
static size_t mem_len;

static const void *fake_phys(paddr_t pa, size_t len)
{
    if (pa > mem_len || len > mem_len - pa)
        return NULL;
    return mem + pa;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct bootmem bm;
    if (size < 1 || size > MEM_SIZE)
        return 0;
    /* An exact-size copy so ASan catches any read past what was given. */
    mem_len = size - 1;
    mem = malloc(mem_len ? mem_len : 1);
    memcpy(mem, data + 1, mem_len);
    bootmem_init(&bm);
    const char *err = (data[0] & 1) ? bootinfo_parse_pvh(&bm, 8, fake_phys)
                                    : bootinfo_parse_mb2(&bm, MB2_BOOTLOADER_MAGIC, 8, fake_phys);
    if (!err) {
        if (bm.overflow || bootmem_total(&bm, BOOTMEM_USABLE) == 0)
            abort();
        for (unsigned i = 1; i < bm.n; i++)
            if (bm.r[i - 1].base + bm.r[i - 1].size > bm.r[i].base)
                abort();
    }
    free(mem);
    return 0;
}
