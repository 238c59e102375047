/*
 * A flattened device tree (FDT, "DTB") reader: the machine description that
 * firmware or QEMU hands an aarch64 or riscv64 kernel, turned into the facts
 * the kernel needs (struct fdt_info): RAM, reserved ranges, CPUs, the
 * interrupt controller, the timer, the console UART, the PCI ECAM window and
 * /chosen (command line, initrd).
 *
 * Pure code with no kernel globals, like genarch/acpi.c: the same file is
 * host-tested against trees compiled by dtc and fuzzed. The blob is read in
 * place from one buffer of `avail` bytes; nothing is kept pointing into it
 * (every string the caller gets is copied into fdt_info).
 *
 * Nothing in the blob is trusted: every offset, size, name and property length
 * is checked against its block before use, and a malformed tree gives an error
 * code plus, in struct fdt_report, the byte offset and the node path where the
 * reader stopped. On an error *out is left untouched.
 */
#ifndef WEFT_GENARCH_FDT_H
#define WEFT_GENARCH_FDT_H

#include "types.h"

#define FDT_MAGIC        0xd00dfeedu
#define FDT_HEADER_LEN   40         /* version 17 header: ten big-endian words */
#define FDT_MAX_SIZE     (1u << 24) /* a larger totalsize is refused */
#define FDT_MAX_DEPTH    16         /* deeper nesting is refused */
#define FDT_MAX_MEM      16         /* memory ranges kept (more are counted) */
#define FDT_MAX_RESV     32         /* reserved ranges kept (more are counted) */
#define FDT_MAX_CPUS     64         /* CPU ids kept (more are counted) */
#define FDT_MAX_PCI_WIN  4          /* PCI ranges entries kept */
#define FDT_MAX_PCI_INTX 16         /* PCI interrupt-map entries kept (4 slots x 4 pins) */
#define FDT_MAX_INTC     8          /* interrupt controllers remembered for lookups */
#define FDT_BOOTARGS_MAX 512        /* as BOOTMEM_CMDLINE_MAX */
#define FDT_PATH_MAX     128        /* node paths in reports and stdout-path */

enum fdt_err {
    FDT_OK = 0,
    FDT_ERR_TRUNCATED, /* fewer bytes than the header or its totalsize */
    FDT_ERR_MAGIC,     /* not 0xd00dfeed */
    FDT_ERR_VERSION,   /* version < 16 or last compatible version > 17 */
    FDT_ERR_LAYOUT,    /* a block lies outside the blob, overlaps another or is misaligned */
    FDT_ERR_RSVMAP,    /* the /memreserve/ block has no terminator or a range wraps */
    FDT_ERR_TOKEN,     /* an unknown structure token, or none where one must be */
    FDT_ERR_NAME,      /* a node name runs past the structure block */
    FDT_ERR_PROP,      /* a property runs past the structure block, or follows a subnode */
    FDT_ERR_STRING,    /* a property name offset outside the strings block or unterminated */
    FDT_ERR_NESTING,   /* unbalanced nodes, more than one root, deeper than FDT_MAX_DEPTH */
    FDT_ERR_CELLS,     /* #address-cells > 4 or #size-cells > 4 */
    FDT_ERR_REG,       /* a reg/ranges/interrupts value not whole entries, or wider than 64 bits */
    FDT_ERR_NO_MEMORY, /* no memory node with a usable range */
    FDT_ERR_IMAP,      /* a PCI interrupt-map not whole entries, or its mask not 4 cells */
};

struct fdt_range {
    uint64_t base;
    uint64_t size;
};

enum fdt_intc_kind {
    FDT_INTC_NONE = 0,
    FDT_INTC_GICV2, /* arm,cortex-a15-gic, arm,gic-400, arm,cortex-a9-gic: reg = dist, cpu */
    FDT_INTC_GICV3, /* arm,gic-v3: reg = dist, redistributors */
    FDT_INTC_PLIC,  /* riscv,plic0, sifive,plic-1.0.0: reg = the PLIC */
};

enum fdt_uart_kind {
    FDT_UART_NONE = 0,
    FDT_UART_PL011,   /* arm,pl011 */
    FDT_UART_NS16550, /* ns16550a, ns16550 */
};

enum fdt_psci_method {
    FDT_PSCI_NONE = 0,
    FDT_PSCI_HVC,
    FDT_PSCI_SMC,
};

/* PCI address space of a ranges entry (bits 24-25 of its first cell). */
enum fdt_pci_space {
    FDT_PCI_CONFIG = 0,
    FDT_PCI_IO = 1,
    FDT_PCI_MEM32 = 2,
    FDT_PCI_MEM64 = 3,
};

struct fdt_pci_window {
    enum fdt_pci_space space;
    bool prefetchable;
    uint64_t pci_addr; /* address on the PCI bus */
    uint64_t cpu_addr; /* where the CPU sees it */
    uint64_t size;
};

/* One PCI interrupt-map entry (IEEE 1275 PCI binding, "Interrupt mapping"):
 * a function whose unit address phys.hi (bus << 16 | dev << 11 | fn << 8) and
 * interrupt pin (1 INTA to 4 INTD), each ANDed with the map's mask, equal
 * addr_hi and pin raises irq. Entries whose phys.mid or phys.lo cells are not
 * zero can match no function and are not kept. */
struct fdt_pci_intx {
    uint32_t addr_hi;
    uint32_t pin;
    uint32_t irq_valid; /* 0: the parent is no interrupt controller the reader knows */
    uint32_t irq_num;   /* as struct fdt_irq's num */
};

/* An interrupt as the kernel numbers it: for a GIC the INTID (SPI n is 32+n,
 * PPI n is 16+n), for a PLIC its source number. valid is false when the node
 * had none or its specifier could not be read. */
struct fdt_irq {
    bool valid;
    uint32_t num;
    uint32_t flags; /* the specifier's flags cell (GIC: trigger type), 0 without one */
};

struct fdt_info {
    unsigned version;    /* the blob's version (16 or 17) */
    uint32_t boot_cpuid; /* boot_cpuid_phys (v2 header field) */
    unsigned nmem;       /* RAM ranges from device_type = "memory" nodes */
    struct fdt_range mem[FDT_MAX_MEM];
    unsigned mem_dropped; /* ranges beyond FDT_MAX_MEM */
    unsigned nresv;       /* /memreserve/ entries, then /reserved-memory children's reg */
    struct fdt_range resv[FDT_MAX_RESV];
    unsigned resv_dropped;         /* beyond FDT_MAX_RESV */
    unsigned resv_dynamic;         /* /reserved-memory children with a size but no reg */
    unsigned ncpus;                /* enabled device_type = "cpu" nodes under /cpus */
    uint64_t cpu_id[FDT_MAX_CPUS]; /* their reg (aarch64: MPIDR affinity; riscv: hart id) */
    enum fdt_psci_method psci;
    struct {
        enum fdt_intc_kind kind;
        uint64_t dist_base, dist_size; /* GIC distributor, or the PLIC */
        uint64_t cpu_base, cpu_size;   /* GICv2 CPU interface, GICv3 redistributors */
        unsigned interrupt_cells;
        uint32_t ndev; /* PLIC: riscv,ndev */
    } intc;
    struct {
        bool present;          /* an arm,armv8-timer or arm,armv7-timer node */
        struct fdt_irq irq[4]; /* secure phys, non-secure phys, virtual, hypervisor */
        uint32_t frequency; /* clock-frequency (arm) or /cpus timebase-frequency; 0: ask the CPU */
    } timer;
    struct {
        enum fdt_uart_kind kind;
        uint64_t base, size;
        struct fdt_irq irq;
        uint32_t clock;     /* clock-frequency when a number, else 0 */
        unsigned reg_shift; /* ns16550: reg-shift, 0 by default */
        bool is_stdout;     /* /chosen stdout-path names this UART */
    } uart;
    struct {
        bool present; /* a pci-host-ecam-generic node */
        uint64_t ecam_base, ecam_size;
        uint32_t bus_first, bus_last; /* bus-range, 0-255 without one */
        unsigned nwin;
        struct fdt_pci_window win[FDT_MAX_PCI_WIN];
        unsigned win_dropped;
        bool intx_map;          /* an interrupt-map was read */
        uint32_t intx_mask_hi;  /* interrupt-map-mask: phys.hi and pin cells */
        uint32_t intx_mask_pin; /* (all ones without a mask) */
        unsigned nintx;
        struct fdt_pci_intx intx[FDT_MAX_PCI_INTX];
        unsigned intx_dropped; /* entries beyond FDT_MAX_PCI_INTX */
    } pci;
    char bootargs[FDT_BOOTARGS_MAX]; /* /chosen bootargs, "" without */
    bool bootargs_truncated;
    uint64_t initrd_start, initrd_end; /* /chosen linux,initrd-start/-end; 0 without */
    char stdout_path[FDT_PATH_MAX];    /* /chosen stdout-path up to any ':', an alias
                                          replaced by its path */
};

/* Where a parse stopped, for the boot log and the tests. */
struct fdt_report {
    uint32_t offset;         /* byte offset in the blob of the faulty item (0: the header) */
    char node[FDT_PATH_MAX]; /* path of the node being read ("/" the root, "" before it) */
    unsigned nodes;          /* nodes seen */
    unsigned uarts;          /* UART nodes seen (one is chosen) */
    unsigned untranslatable; /* device reg values no parent ranges could translate */
};

/* Reads the header of the blob at p (avail readable bytes) and returns its
 * totalsize, or 0 if p does not start with a plausible header (magic, version,
 * totalsize between the header and FDT_MAX_SIZE). For a boot path that must
 * learn how much to map before calling fdt_parse. */
uint32_t fdt_total_size(const void *p, size_t avail);

/* Checks and parses the whole blob. On FDT_OK every field of *out is written;
 * on an error *out is untouched and rep says where (rep may not be NULL). */
enum fdt_err fdt_parse(const void *blob, size_t avail, struct fdt_info *out,
                       struct fdt_report *rep);

/* Short description of an error ("bad magic", ...). */
const char *fdt_strerror(enum fdt_err e);

#endif /* WEFT_GENARCH_FDT_H */
