/*
 * libFuzzer target: the device-tree reader (kernel/genarch/fdt.c) over arbitrary
 * bytes as the blob, copied into a buffer of exactly their size so ASan catches
 * any read past it. Byte 0 bit 0 set also parses a prefix (the first byte's
 * value times 16 bytes) of the same input, as a blob cut short by a loader.
 * Properties: no crash, no undefined behaviour, a failed parse leaves the output
 * untouched, a successful one has its counts within the arrays and its strings
 * terminated, and fdt_total_size agrees with the header the parse accepted.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "genarch/fdt.h"

static void one(const uint8_t *data, size_t size)
{
    uint8_t *b = malloc(size ? size : 1);
    memcpy(b, data, size);
    static struct fdt_info info, before;
    struct fdt_report rep;
    memset(&info, 0xa5, sizeof(info));
    before = info;
    enum fdt_err e = fdt_parse(b, size, &info, &rep);
    if (!fdt_strerror(e) || memchr(rep.node, 0, sizeof(rep.node)) == NULL)
        abort();
    if (e != FDT_OK && memcmp(&info, &before, sizeof(info)) != 0)
        abort();
    if (e == FDT_OK) {
        if (info.nmem == 0 || info.nmem > FDT_MAX_MEM || info.nresv > FDT_MAX_RESV ||
            info.pci.nwin > FDT_MAX_PCI_WIN)
            abort();
        if (!memchr(info.bootargs, 0, sizeof(info.bootargs)) ||
            !memchr(info.stdout_path, 0, sizeof(info.stdout_path)))
            abort();
        if (fdt_total_size(b, size) == 0 || fdt_total_size(b, size) > size)
            abort();
    }
    free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one(data, size);
    if (size && (data[0] & 1) && (size_t)data[0] * 16 < size)
        one(data, (size_t)data[0] * 16);
    return 0;
}
