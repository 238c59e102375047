/*
 * The boot configuration (user/init/boot.conf; grammar in docs/userspace.md,
 * "init and the boot configuration"; decision 109): which programs init starts,
 * in which order, with which memory, priority and caps.
 *
 * A pure module: conf_parse reads the text into a struct boot_conf without any
 * system call, so that the host tests (tests/host/test_bootconf.c) and the
 * fuzzer (tests/fuzz/fuzz_bootconf.c) run it as init does. Every problem is
 * reported with its line number and what is wrong; a bad line is skipped, a bad
 * reference to another program (sees=, give=) is dropped, and everything else
 * still starts. Nothing in the text can make the parser read or write outside
 * its buffers.
 */
#ifndef INIT_CONF_H
#define INIT_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONF_MAX_PROGS  63u /* program ids 1..63 (id 0 is init) */
#define CONF_NAME_MAX   31u /* bytes of a program's name, without the NUL */
#define CONF_MAX_ERRORS 16u /* messages kept; more are counted */
#define CONF_MSG_MAX    120u

/* Defaults of an entry that does not say. */
#define CONF_DEFAULT_MEM   (1ull << 20)
#define CONF_DEFAULT_PRIO  100u
#define CONF_DEFAULT_CNODE 8u
/* Bounds: priorities below init's own (255) and its worker's (254); CNode
 * radixes with room for the well-known slots and the musl layer's upper half. */
#define CONF_PRIO_MIN  1u
#define CONF_PRIO_MAX  253u
#define CONF_CNODE_MIN 6u
#define CONF_CNODE_MAX 16u
#define CONF_MEM_MAX   (1ull << 36)
#define CONF_UT_MIN    (1ull << 12)
#define CONF_UT_MAX    (1ull << 32)
/* devmem=ADDRESS: a physical address of 48 bits at most */
#define CONF_DEVMEM_ADDR_MAX ((1ull << 48) - 1)

enum conf_kind {
    CONF_SERVER = 1, /* supervised: restarted whenever it ends */
    CONF_RUN = 2,    /* started once; restarted after a fault or a Kill, not an exit */
};

/* The well-known services a program may be given directly (conf_prog.slots). */
enum conf_service {
    CONF_SVC_NAME = 1u << 0,
    CONF_SVC_LOG = 1u << 1,
    CONF_SVC_CONSOLE = 1u << 2,
    CONF_SVC_INIT = 1u << 3,
};

struct conf_prog {
    char name[CONF_NAME_MAX + 1]; /* the initramfs file, also its service name */
    enum conf_kind kind;
    unsigned line;    /* where it was declared */
    uint64_t mem;     /* its pool's quota, bytes */
    unsigned prio;    /* its priority and MCP */
    unsigned cnode;   /* radix of its CNode */
    uint64_t untyped; /* bytes of RAM untyped at WF_CHILD_UNTYPED (a power of two), 0: none */
    bool initramfs;   /* a read-only copy of the initramfs VMO at WF_CHILD_INITRAMFS */
    bool has_ioport;  /* an IOPort cap for [io_first, io_last] at WF_CHILD_IOPORT */
    unsigned io_first, io_last;
    int irq;                    /* an IRQHandler for this line at WF_CHILD_IRQ, -1: none */
    bool devmem;                /* copies of every device untyped from PCIBUS_SLOT_DEVMEM on
                                   and the bootinfo page at WF_CHILD_BOOTINFO */
    bool devmem_one;            /* devmem=ADDRESS: only the device untyped holding ... */
    uint64_t devmem_at;         /* ... this address */
    bool irqcontrol;            /* a copy of IRQControl at WF_CHILD_IRQ (not with irq=) */
    char as[CONF_NAME_MAX + 1]; /* the name it is registered and seen under (default: name) */
    uint64_t sees;              /* bit i: may look up program index i in the name server */
    unsigned slots; /* enum conf_service bits: well-known slots init fills (NAME always) */
};

/* A port write that powers off or resets the machine, or the firmware's call
 * through the Power cap (decision 184). */
struct conf_power {
    bool set;
    bool firmware;  /* Power_Off or Power_Reset on WF_ROOT_POWER; port and value unused */
    unsigned port;  /* 0..0xffff */
    unsigned value; /* 0..0xffff: an 8-bit Out when it fits, else 16-bit */
};

struct conf_error {
    unsigned line; /* 0: not tied to a line (e.g. the command line) */
    char msg[CONF_MSG_MAX];
};

struct boot_conf {
    struct conf_prog prog[CONF_MAX_PROGS];
    unsigned nprogs;
    struct conf_power poweroff, reboot;
    struct conf_error err[CONF_MAX_ERRORS];
    unsigned nerr;   /* errors kept in err[] */
    unsigned errors; /* errors found (may exceed CONF_MAX_ERRORS) */
    /* Raw sees=/give= lists, resolved by conf_resolve; internal. */
    char refs[CONF_MAX_PROGS][2][256];
};

/* Parses len bytes of text into c (which it clears first). Lines end with '\n'
 * (a '\r' before it is ignored), '#' starts a comment. Returns the number of
 * errors found (c->errors); c holds every good entry in order, with sees= and
 * give= resolved to program indexes. */
unsigned conf_parse(struct boot_conf *c, const char *text, size_t len);

/* Applies init.run=LIST (comma-separated names; empty: none): removes every run
 * entry and appends one per name, taking its options from a run entry of the same
 * name that the file had, else the defaults with mem=16M, untyped=1M (for threads
 * of its own), sees= every server and init. Servers keep their indexes;
 * references are resolved again (a reference to a run entry the list dropped is
 * dropped silently). Returns the errors added (a bad or duplicate name, too many
 * programs). */
unsigned conf_override_run(struct boot_conf *c, const char *list);

/* The index of the program named name (len bytes), or -1. */
int conf_find(const struct boot_conf *c, const char *name, size_t len);

/* The index of the program registered as name (its as=, else its name), or -1. */
int conf_find_service(const struct boot_conf *c, const char *name, size_t len);

/* The service bit of a well-known name ("name", "log", "console", "init"), or 0. */
unsigned conf_service(const char *name);

/* The visibility mask of program index i in the name server: bit b set for each
 * program whose id (index + 1) is b and which sees i; bit 0 (init) always. */
uint64_t conf_visible(const struct boot_conf *c, unsigned i);

#endif
