/*
 * PVH and Multiboot2 boot information (see arch/bootinfo.h).
 *
 * Sources: Xen public/arch-x86/hvm/start_info.h (hvm_start_info version 1,
 * hvm_memmap_table_entry, hvm_modlist_entry) and the Multiboot2 specification
 * section 3.6 (boot information format: tags 1 command line, 3 module, 6 memory
 * map, 14 and 15 copies of the ACPI 1.0 and 2.0 RSDP). Both memory maps carry
 * ACPI/e820 types. PVH's rsdp_paddr and the Multiboot2 RSDP copy are only
 * recorded here; platform_init checks them (genarch/acpi.h).
 *
 * Every structure is copied out of loader memory before use; nothing here keeps
 * a pointer into it, so the loader's memory may be reused once parsing is done.
 */
#include "arch/bootinfo.h"
#include "arch/boot.h"
#include "kprintf.h"
#include "lib/string.h"

struct pvh_start_info {
    uint32_t magic, version, flags, nr_modules;
    uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr;
    uint64_t memmap_paddr; /* version >= 1 */
    uint32_t memmap_entries, reserved;
};

struct pvh_memmap_entry {
    uint64_t addr, size;
    uint32_t type, reserved;
};

struct pvh_mod_entry {
    uint64_t paddr, size, cmdline_paddr, reserved;
};

static char errbuf[160];

#define FAIL(...) (ksnprintf(errbuf, sizeof(errbuf), __VA_ARGS__), errbuf)

enum bootmem_type bootinfo_e820_type(uint32_t t)
{
    switch (t) {
    case 1:
        return BOOTMEM_USABLE;
    case 3:
        return BOOTMEM_ACPI_RECLAIM;
    case 4:
        return BOOTMEM_ACPI_NVS;
    case 5:
        return BOOTMEM_BAD;
    default:
        return BOOTMEM_RESERVED;
    }
}

/* Copies the NUL-terminated string at pa (at most n-1 bytes) into out. Returns
 * false if a byte cannot be read. */
static bool copy_string(paddr_t pa, char *out, size_t n, bootinfo_phys_fn phys)
{
    size_t i = 0;
    for (; i + 1 < n; i++) {
        const char *c = phys(pa + i, 1);
        if (!c)
            return false;
        if (!*c)
            break;
        out[i] = *c;
    }
    out[i] = 0;
    return true;
}

static const char *finish(struct bootmem *bm)
{
    if (bm->overflow)
        return FAIL("boot memory map has more than %u regions or %u modules", BOOTMEM_MAX_REGIONS,
                    BOOTMEM_MAX_MODULES);
    if (bootmem_total(bm, BOOTMEM_USABLE) == 0)
        return FAIL("boot memory map lists no usable RAM");
    return NULL;
}

const char *bootinfo_parse_pvh(struct bootmem *bm, paddr_t info, bootinfo_phys_fn phys)
{
    bm->protocol = "pvh";
    if (info == 0)
        return FAIL("PVH entry without a start_info pointer (%%ebx is 0)");
    const struct pvh_start_info *si = phys(info, sizeof(*si));
    if (!si)
        return FAIL("PVH start_info at 0x%llx cannot be read", (unsigned long long)info);
    struct pvh_start_info s;
    memcpy(&s, si, sizeof(s));
    if (s.magic != PVH_START_MAGIC)
        return FAIL("PVH start_info magic is 0x%x, expected 0x%x", s.magic, PVH_START_MAGIC);
    if (s.version < 1)
        return FAIL("PVH start_info version %u has no memory map (need version >= 1)", s.version);
    if (s.memmap_entries == 0 || s.memmap_paddr == 0)
        return FAIL("PVH start_info has no memory map (%u entries at 0x%llx)", s.memmap_entries,
                    (unsigned long long)s.memmap_paddr);
    if (s.memmap_entries > BOOTINFO_MAX_MMAP_ENTRIES)
        return FAIL("PVH memory map has %u entries (at most %u accepted)", s.memmap_entries,
                    BOOTINFO_MAX_MMAP_ENTRIES);
    for (uint32_t i = 0; i < s.memmap_entries; i++) {
        const struct pvh_memmap_entry *e =
            phys(s.memmap_paddr + (paddr_t)i * sizeof(*e), sizeof(*e));
        if (!e)
            return FAIL("PVH memory map entry %u at 0x%llx cannot be read", i,
                        (unsigned long long)(s.memmap_paddr + (paddr_t)i * sizeof(*e)));
        struct pvh_memmap_entry m;
        memcpy(&m, e, sizeof(m));
        if (!bootmem_add_firmware(bm, m.addr, m.size, bootinfo_e820_type(m.type)))
            break;
    }
    bm->acpi_rsdp_paddr = s.rsdp_paddr;
    if (s.cmdline_paddr && !copy_string(s.cmdline_paddr, bm->cmdline, sizeof(bm->cmdline), phys))
        return FAIL("PVH command line at 0x%llx cannot be read",
                    (unsigned long long)s.cmdline_paddr);
    if (s.nr_modules > BOOTMEM_MAX_MODULES)
        return FAIL("PVH start_info lists %u modules (at most %u accepted)", s.nr_modules,
                    BOOTMEM_MAX_MODULES);
    for (uint32_t i = 0; i < s.nr_modules; i++) {
        const struct pvh_mod_entry *e = phys(s.modlist_paddr + (paddr_t)i * sizeof(*e), sizeof(*e));
        if (!e)
            return FAIL("PVH module entry %u cannot be read", i);
        struct pvh_mod_entry m;
        memcpy(&m, e, sizeof(m));
        if (m.size == 0 || m.paddr + m.size < m.paddr)
            return FAIL("PVH module %u has a bad range (0x%llx, size 0x%llx)", i,
                        (unsigned long long)m.paddr, (unsigned long long)m.size);
        char name[64] = "";
        if (m.cmdline_paddr && !copy_string(m.cmdline_paddr, name, sizeof(name), phys))
            return FAIL("PVH module %u command line cannot be read", i);
        bootmem_add_module(bm, m.paddr, m.size, name);
    }
    return finish(bm);
}

enum {
    MB2_TAG_END = 0,
    MB2_TAG_CMDLINE = 1,
    MB2_TAG_MODULE = 3,
    MB2_TAG_MMAP = 6,
    MB2_TAG_ACPI_OLD = 14,
    MB2_TAG_ACPI_NEW = 15,
};

struct mb2_tag {
    uint32_t type, size;
};

const char *bootinfo_parse_mb2(struct bootmem *bm, uint32_t magic, paddr_t info,
                               bootinfo_phys_fn phys)
{
    bm->protocol = "multiboot2";
    if (magic != MB2_BOOTLOADER_MAGIC)
        return FAIL("Multiboot2 magic is 0x%x, expected 0x%x (not loaded by a Multiboot2 loader?)",
                    magic, MB2_BOOTLOADER_MAGIC);
    if (info == 0 || (info & 7))
        return FAIL("Multiboot2 information pointer 0x%llx is null or misaligned",
                    (unsigned long long)info);
    const uint32_t *hdr = phys(info, 8);
    if (!hdr)
        return FAIL("Multiboot2 information at 0x%llx cannot be read", (unsigned long long)info);
    uint32_t total = hdr[0];
    if (total < 16 || total > BOOTINFO_MAX_MB2_SIZE)
        return FAIL("Multiboot2 information size %u is out of range (16..%u)", total,
                    BOOTINFO_MAX_MB2_SIZE);
    const uint8_t *base = phys(info, total);
    if (!base)
        return FAIL("Multiboot2 information (%u bytes at 0x%llx) cannot be read", total,
                    (unsigned long long)info);
    bool have_mmap = false, have_end = false, have_acpi_new = false;
    uint32_t off = 8;
    while (off + sizeof(struct mb2_tag) <= total) {
        struct mb2_tag t;
        memcpy(&t, base + off, sizeof(t));
        if (t.size < 8 || t.size > total - off)
            return FAIL("Multiboot2 tag type %u at offset %u has bad size %u", t.type, off, t.size);
        const uint8_t *body = base + off + 8;
        uint32_t blen = t.size - 8;
        if (t.type == MB2_TAG_END) {
            have_end = true;
            break;
        } else if (t.type == MB2_TAG_CMDLINE) {
            size_t n = MIN((size_t)blen, sizeof(bm->cmdline) - 1);
            n = strnlen((const char *)body, n);
            memcpy(bm->cmdline, body, n);
            bm->cmdline[n] = 0;
        } else if (t.type == MB2_TAG_MMAP) {
            uint32_t esize, ever;
            if (blen < 8)
                return FAIL("Multiboot2 memory map tag is truncated (%u bytes)", t.size);
            memcpy(&esize, body, 4);
            memcpy(&ever, body + 4, 4);
            if (esize < 24 || (esize & 7))
                return FAIL("Multiboot2 memory map entry size %u is invalid (need >= 24, "
                            "multiple of 8)",
                            esize);
            uint32_t count = (blen - 8) / esize;
            if (count > BOOTINFO_MAX_MMAP_ENTRIES)
                return FAIL("Multiboot2 memory map has %u entries (at most %u accepted)", count,
                            BOOTINFO_MAX_MMAP_ENTRIES);
            for (uint32_t i = 0; i < count; i++) {
                struct {
                    uint64_t base, len;
                    uint32_t type, reserved;
                } e;
                memcpy(&e, body + 8 + (size_t)i * esize, sizeof(e));
                if (!bootmem_add_firmware(bm, e.base, e.len, bootinfo_e820_type(e.type)))
                    break;
            }
            have_mmap = true;
        } else if (t.type == MB2_TAG_ACPI_NEW || (t.type == MB2_TAG_ACPI_OLD && !have_acpi_new)) {
            /* A copy of the RSDP: kept as is, checked by platform_init. */
            bm->acpi_rsdp_len = MIN(blen, (uint32_t)sizeof(bm->acpi_rsdp));
            memcpy(bm->acpi_rsdp, body, bm->acpi_rsdp_len);
            have_acpi_new |= t.type == MB2_TAG_ACPI_NEW;
        } else if (t.type == MB2_TAG_MODULE) {
            uint32_t ms, me;
            if (blen < 8)
                return FAIL("Multiboot2 module tag is truncated (%u bytes)", t.size);
            memcpy(&ms, body, 4);
            memcpy(&me, body + 4, 4);
            if (me <= ms)
                return FAIL("Multiboot2 module [0x%x, 0x%x) is empty or inverted", ms, me);
            char name[64];
            size_t n = MIN((size_t)(blen - 8), sizeof(name) - 1);
            n = strnlen((const char *)body + 8, n);
            memcpy(name, body + 8, n);
            name[n] = 0;
            bootmem_add_module(bm, ms, me - ms, name);
        }
        off += ALIGN_UP(t.size, 8u);
    }
    if (!have_end)
        return FAIL("Multiboot2 information has no end tag within its %u bytes", total);
    if (!have_mmap)
        return FAIL("Multiboot2 information has no memory map tag (type 6)");
    return finish(bm);
}
