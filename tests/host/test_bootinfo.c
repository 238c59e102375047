/*
 * PVH and Multiboot2 parsing from a fake physical memory: well-formed maps like
 * QEMU's and GRUB's, then every kind of malformed input, each of which must give
 * an error naming the problem (never a crash: ASan and UBSan watch the reads).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "arch/boot.h"
#include "arch/bootinfo.h"
#include "config.h"

#define MEM_SIZE 0x10000
static uint8_t mem[MEM_SIZE] __attribute__((aligned(8)));

static const void *fake_phys(paddr_t pa, size_t len)
{
    if (pa > MEM_SIZE || len > MEM_SIZE - pa)
        return NULL;
    return mem + pa;
}

static struct bootmem bm;

static void put32(paddr_t at, uint32_t v)
{
    memcpy(mem + at, &v, 4);
}

static void put64(paddr_t at, uint64_t v)
{
    memcpy(mem + at, &v, 8);
}

/* start_info at 0x1000, memmap at 0x2000, cmdline at 0x3000, modules at 0x4000. */
static void make_pvh(uint32_t nmap)
{
    memset(mem, 0, sizeof(mem));
    put32(0x1000, PVH_START_MAGIC);
    put32(0x1004, 1);
    put64(0x1018, 0x3000); /* cmdline */
    put64(0x1028, 0x2000); /* memmap */
    put32(0x1030, nmap);
    const uint64_t map[][3] = {
        {0, 0x9fc00, 1},
        {0x9fc00, 0x400, 2},
        {0xf0000, 0x10000, 2},
        {0x100000, 0x7ee0000, 1},
        {0x7fe0000, 0x20000, 2},
        {0xfffc0000, 0x40000, 2},
        {0x100000000, 0x40000000, 1},
    };
    for (uint32_t i = 0; i < nmap && i < 7; i++) {
        put64(0x2000 + i * 24, map[i][0]);
        put64(0x2008 + i * 24, map[i][1]);
        put32(0x2010 + i * 24, (uint32_t)map[i][2]);
    }
    strcpy((char *)mem + 0x3000, "ktest timer=pit");
}

Test(pvh, qemu_like_map)
{
    make_pvh(7);
    bootmem_init(&bm);
    const char *err = bootinfo_parse_pvh(&bm, 0x1000, fake_phys);
    cr_assert_null(err, "%s", err);
    cr_assert_str_eq(bm.cmdline, "ktest timer=pit");
    cr_assert_str_eq(bm.protocol, "pvh");
    /* 0x9f000 usable (page-trimmed), 0x100000..0x7fe0000, 1 GiB above 4 GiB. */
    cr_assert_eq(bootmem_total(&bm, BOOTMEM_USABLE), 0x9f000 + 0x7ee0000 + 0x40000000ull);
    cr_assert_eq(bootmem_ram_top(&bm), 0x140000000ull);
}

Test(pvh, modules)
{
    make_pvh(7);
    put32(0x100c, 1);
    put64(0x1010, 0x4000);
    put64(0x4000, 0x800000);
    put64(0x4008, 0x12345);
    put64(0x4010, 0x3100);
    strcpy((char *)mem + 0x3100, "initramfs");
    bootmem_init(&bm);
    cr_assert_null(bootinfo_parse_pvh(&bm, 0x1000, fake_phys));
    cr_assert_eq(bm.nmod, 1);
    cr_assert_str_eq(bm.mod[0].name, "initramfs");
    cr_assert_eq(bootmem_total(&bm, BOOTMEM_MODULE), 0x13000);
}

static void expect_pvh_error(const char *fragment)
{
    bootmem_init(&bm);
    const char *err = bootinfo_parse_pvh(&bm, 0x1000, fake_phys);
    cr_assert_not_null(err, "accepted; expected an error containing '%s'", fragment);
    cr_assert(strstr(err, fragment), "error '%s' does not mention '%s'", err, fragment);
}

Test(pvh, malformed)
{
    make_pvh(7);
    put32(0x1000, 0x12345678);
    expect_pvh_error("magic");
    make_pvh(7);
    put32(0x1004, 0);
    expect_pvh_error("version 0");
    make_pvh(0);
    expect_pvh_error("no memory map");
    make_pvh(7);
    put32(0x1030, 100000);
    expect_pvh_error("entries");
    make_pvh(7);
    put64(0x1028, MEM_SIZE - 24); /* map runs off readable memory */
    expect_pvh_error("cannot be read");
    make_pvh(7);
    put64(0x1018, MEM_SIZE + 5);
    expect_pvh_error("command line");
    make_pvh(7);
    put32(0x100c, 50);
    expect_pvh_error("modules");
    make_pvh(7);
    put32(0x100c, 1);
    put64(0x1010, 0x4000);
    put64(0x4000, ~0ull - 5);
    put64(0x4008, 100);
    expect_pvh_error("bad range");
    make_pvh(2); /* only low memory: 636 KiB usable is still usable RAM */
    put32(0x2010, 2);
    put32(0x2010 + 24, 2);
    expect_pvh_error("no usable RAM");
    bootmem_init(&bm);
    cr_assert_not_null(bootinfo_parse_pvh(&bm, 0, fake_phys));
    cr_assert_not_null(bootinfo_parse_pvh(&bm, MEM_SIZE, fake_phys));
}

/* Multiboot2 information at 0x1000: cmdline tag, mmap tag, end tag. */
static uint32_t make_mb2(void)
{
    memset(mem, 0, sizeof(mem));
    uint32_t off = 0x1008;
    put32(off, 1); /* cmdline */
    put32(off + 4, 8 + 6);
    memcpy(mem + off + 8, "ktest", 6);
    off += 16;
    put32(off, 6); /* mmap */
    put32(off + 4, 16 + 3 * 24);
    put32(off + 8, 24);
    put32(off + 12, 0);
    const uint64_t map[][3] = {{0, 0x9fc00, 1}, {0x100000, 0xff00000, 1}, {0xe0000, 0x20000, 2}};
    for (int i = 0; i < 3; i++) {
        put64(off + 16 + i * 24, map[i][0]);
        put64(off + 24 + i * 24, map[i][1]);
        put32(off + 32 + i * 24, (uint32_t)map[i][2]);
    }
    off += 16 + 3 * 24;
    put32(off, 3); /* module */
    put32(off + 4, 16 + 4);
    put32(off + 8, 0x1000000);
    put32(off + 12, 0x1001000);
    memcpy(mem + off + 16, "rd0", 4);
    off += 24;
    put32(off, 0); /* end */
    put32(off + 4, 8);
    off += 8;
    put32(0x1000, off - 0x1000);
    return off - 0x1000;
}

Test(mb2, grub_like_info)
{
    make_mb2();
    bootmem_init(&bm);
    const char *err = bootinfo_parse_mb2(&bm, MB2_BOOTLOADER_MAGIC, 0x1000, fake_phys);
    cr_assert_null(err, "%s", err);
    cr_assert_str_eq(bm.cmdline, "ktest");
    cr_assert_eq(bm.nmod, 1);
    cr_assert_str_eq(bm.mod[0].name, "rd0");
    cr_assert_eq(bootmem_total(&bm, BOOTMEM_USABLE), 0x9f000 + 0xff00000 - 0x1000);
}

static void expect_mb2_error(uint32_t magic, paddr_t info, const char *fragment)
{
    bootmem_init(&bm);
    const char *err = bootinfo_parse_mb2(&bm, magic, info, fake_phys);
    cr_assert_not_null(err, "accepted; expected an error containing '%s'", fragment);
    cr_assert(strstr(err, fragment), "error '%s' does not mention '%s'", err, fragment);
}

Test(mb2, malformed)
{
    make_mb2();
    expect_mb2_error(0x2badb002, 0x1000, "magic");
    expect_mb2_error(MB2_BOOTLOADER_MAGIC, 0, "null or misaligned");
    expect_mb2_error(MB2_BOOTLOADER_MAGIC, 0x1004, "null or misaligned");
    uint32_t total = make_mb2();
    put32(0x1000, 4);
    expect_mb2_error(MB2_BOOTLOADER_MAGIC, 0x1000, "size 4");
    put32(0x1000, MEM_SIZE); /* runs off memory */
    expect_mb2_error(MB2_BOOTLOADER_MAGIC, 0x1000, "cannot be read");
    make_mb2();
    put32(0x100c, 0x7fffffff); /* a tag larger than the information */
    expect_mb2_error(MB2_BOOTLOADER_MAGIC, 0x1000, "bad size");
    make_mb2();
    put32(0x100c, 3); /* a tag smaller than its header */
    expect_mb2_error(MB2_BOOTLOADER_MAGIC, 0x1000, "bad size");
    make_mb2();
    put32(0x1018 + 8, 20); /* entry size not a multiple of 8 */
    expect_mb2_error(MB2_BOOTLOADER_MAGIC, 0x1000, "entry size");
    make_mb2();
    put32(0x1018, 99); /* the mmap tag becomes an unknown tag */
    expect_mb2_error(MB2_BOOTLOADER_MAGIC, 0x1000, "no memory map");
    total = make_mb2();
    put32(0x1000, total - 8); /* cut off the end tag */
    expect_mb2_error(MB2_BOOTLOADER_MAGIC, 0x1000, "no end tag");
    make_mb2();
    put32(0x1018 + 16 + 72 + 12, 0x10); /* module ends before it starts */
    expect_mb2_error(MB2_BOOTLOADER_MAGIC, 0x1000, "inverted");
}

/* Random corruption of valid information: any result is acceptable except a
 * crash, an out-of-bounds read, or success with an inconsistent description. */
Test(mb2, random_corruption)
{
    srand(7);
    for (int iter = 0; iter < 20000; iter++) {
        uint32_t total = make_mb2();
        int flips = 1 + rand() % 4;
        for (int k = 0; k < flips; k++)
            mem[0x1000 + rand() % (total + 8)] ^= (uint8_t)(1u << (rand() % 8));
        bootmem_init(&bm);
        if (bootinfo_parse_mb2(&bm, MB2_BOOTLOADER_MAGIC, 0x1000, fake_phys) == NULL) {
            cr_assert(!bm.overflow);
            cr_assert(bootmem_total(&bm, BOOTMEM_USABLE) > 0);
            for (unsigned i = 1; i < bm.n; i++)
                cr_assert(bm.r[i - 1].base + bm.r[i - 1].size <= bm.r[i].base);
        }
    }
}
