/*
 * The boot configuration parser (user/init/conf.c): the shipped boot.conf, every
 * option and its bounds, each error with the line it names (a bad line is
 * skipped, the rest kept), references across lines (sees= and give=), the
 * init.run= override, and random text, which must give errors or entries
 * within their bounds, never a crash (ASan and UBSan watch).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

static struct boot_conf c;

static unsigned parse(const char *text)
{
    return conf_parse(&c, text, strlen(text));
}

/* The error on line `line` mentions `what`. */
static void assert_error(unsigned line, const char *what)
{
    for (unsigned i = 0; i < c.nerr; i++)
        if (c.err[i].line == line && strstr(c.err[i].msg, what))
            return;
    cr_assert_fail("no error on line %u mentioning '%s' (%u errors; first: line %u: %s)", line,
                   what, c.nerr, c.nerr ? c.err[0].line : 0, c.nerr ? c.err[0].msg : "");
}

static const struct conf_prog *prog(const char *name)
{
    int i = conf_find(&c, name, strlen(name));
    cr_assert_geq(i, 0, "no program %s", name);
    return &c.prog[i];
}

Test(bootconf, the_shipped_boot_conf_parses_cleanly)
{
    FILE *f = fopen("user/init/boot.conf", "r");
    cr_assert_not_null(f);
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    cr_assert_eq(conf_parse(&c, buf, n), 0, "line %u: %s", c.err[0].line, c.err[0].msg);
    cr_assert_eq(c.nprogs, 10);
    cr_assert_str_eq(c.prog[0].name, "name");
    cr_assert_eq(prog("fs")->kind, CONF_SERVER);
    cr_assert_eq(prog("fs")->mem, 4u << 20);
    /* The bus server holds configuration space, device memory and IRQControl;
     * the drivers see it only, and are seen as vblk and rng by fs and the shell. */
    const struct conf_prog *bus = prog("pcibus"), *vblk = prog("vblk"), *vrng = prog("vrng");
    cr_assert(bus->devmem && bus->irqcontrol && bus->irq == -1);
    cr_assert(bus->has_ioport && bus->io_first == 0xcf8 && bus->io_last >= 0xcff);
    cr_assert_geq(bus->cnode, 10);
    cr_assert_eq(vblk->sees, 1ull << (bus - c.prog));
    cr_assert_eq(vrng->sees, 1ull << (bus - c.prog));
    cr_assert(!vblk->devmem && !vblk->irqcontrol && !vblk->has_ioport && vblk->irq == -1);
    /* The virtio-net driver claims its device through the bus; the network
     * server, its client, sees it (and the bus, to learn whether there is a
     * device); both print through the console (a release build's only way). */
    const struct conf_prog *net = prog("net"), *vnet = prog("vnet");
    cr_assert_eq(vnet->kind, CONF_SERVER);
    cr_assert_eq(vnet->sees, 1ull << (bus - c.prog) | 1ull << (prog("console") - c.prog));
    cr_assert(!vnet->devmem && !vnet->irqcontrol && !vnet->has_ioport && vnet->irq == -1);
    cr_assert_eq(net->kind, CONF_SERVER);
    cr_assert_eq(net->sees, 1ull << (bus - c.prog) | 1ull << (prog("console") - c.prog) |
                                1ull << (vnet - c.prog));
    cr_assert(!net->devmem && !net->irqcontrol && !net->has_ioport && net->irq == -1);
    cr_assert_str_eq(vrng->as, "rng");
    cr_assert_str_eq(vblk->as, "vblk");
    cr_assert_eq(conf_find_service(&c, "rng", 3), vrng - c.prog);
    cr_assert_eq(prog("fs")->sees, 1ull << (vblk - c.prog) | 1ull << (vrng - c.prog));
    cr_assert(prog("shell")->sees & 1ull << (vrng - c.prog));
    cr_assert(prog("shell")->sees & 1ull << (prog("fs") - c.prog));
    cr_assert_eq(prog("console")->kind, CONF_SERVER);
    cr_assert_eq(prog("shell")->kind, CONF_RUN);
    cr_assert_eq(prog("shell")->untyped, 4u << 20);
    cr_assert(prog("shell")->initramfs);
    cr_assert_eq(prog("shell")->cnode, 12);
    cr_assert(c.poweroff.set && c.reboot.set);
    cr_assert_eq(c.poweroff.port, 0x604);
    cr_assert_eq(c.poweroff.value, 0x2000);
    /* The log server is given the console's slot but cannot look it up. */
    cr_assert(prog("log")->slots & CONF_SVC_CONSOLE);
    cr_assert_eq(prog("log")->sees, 1ull << 0);
}

Test(bootconf, options_are_stored)
{
    cr_assert_eq(parse("# comment\n"
                       "  server a mem=2M prio=7 cnode=10 ioport=0x3f8-0x3ff irq=4  # trailing\n"
                       "run b mem=4096 untyped=0x10000 initramfs sees=a,init give=\r\n"
                       "\n"
                       "run c ioport=0x80\n"),
                 0, "line %u: %s", c.err[0].line, c.err[0].msg);
    cr_assert_eq(c.nprogs, 3);
    const struct conf_prog *a = prog("a"), *b = prog("b"), *cc = prog("c");
    cr_assert_eq(a->line, 2);
    cr_assert_eq(a->mem, 2u << 20);
    cr_assert_eq(a->prio, 7);
    cr_assert_eq(a->cnode, 10);
    cr_assert(a->has_ioport && a->io_first == 0x3f8 && a->io_last == 0x3ff);
    cr_assert_eq(a->irq, 4);
    cr_assert_eq(b->mem, 4096);
    cr_assert_eq(b->untyped, 0x10000);
    cr_assert(b->initramfs);
    cr_assert_eq(b->sees, 1ull << 0);
    cr_assert_eq(b->slots, CONF_SVC_INIT);
    cr_assert_eq(b->irq, -1);
    cr_assert(cc->has_ioport && cc->io_first == 0x80 && cc->io_last == 0x80);
    /* Defaults. */
    cr_assert_eq(cc->mem, CONF_DEFAULT_MEM);
    cr_assert_eq(cc->prio, CONF_DEFAULT_PRIO);
    cr_assert_eq(cc->cnode, CONF_DEFAULT_CNODE);
    cr_assert(!cc->initramfs && !cc->untyped);
    /* Visibility: a is seen by b (id 2) and init (bit 0). */
    cr_assert_eq(conf_visible(&c, 0), 1ull | 1ull << 2);
    cr_assert_eq(conf_visible(&c, 2), 1ull);
}

Test(bootconf, references_resolve_forward_and_name_is_given_to_all)
{
    cr_assert_eq(parse("run client sees=log,name\n"
                       "server name\n"
                       "server log give=console\n"
                       "server console sees=log\n"),
                 0, "line %u: %s", c.err[0].line, c.err[0].msg);
    const struct conf_prog *cl = prog("client"), *log = prog("log");
    cr_assert_eq(cl->sees, 1ull << 2 | 1ull << 1);
    cr_assert_eq(cl->slots, CONF_SVC_NAME | CONF_SVC_LOG);
    cr_assert_eq(log->slots, CONF_SVC_NAME | CONF_SVC_CONSOLE);
    cr_assert_eq(log->sees, 0);
    cr_assert_eq(conf_visible(&c, 2), 1ull | 1ull << 1 | 1ull << 4);
}

/* devmem=ADDRESS: only the device untyped holding the address (the console
 * server's UART), so that the bus server can take the rest. */
Test(bootconf, devmem_one_address)
{
    cr_assert_eq(parse("server console devmem=0x9000000 irq=1\nserver bus devmem irqcontrol\n"), 0,
                 "errors: %u", c.errors);
    const struct conf_prog *con = prog("console"), *bus = prog("bus");
    cr_assert(con->devmem && con->devmem_one);
    cr_assert_eq(con->devmem_at, 0x9000000);
    cr_assert(bus->devmem && !bus->devmem_one);
}

Test(bootconf, devices_and_service_names)
{
    cr_assert_eq(parse("server bus devmem irqcontrol ioport=0xcf8-0xcff cnode=10\n"
                       "server drv as=disk sees=bus\n"
                       "run user sees=disk,drv\n"),
                 1, "want one error: %u", c.errors);
    assert_error(3, "no program named 'drv'");
    const struct conf_prog *bus = prog("bus"), *drv = prog("drv");
    cr_assert(bus->devmem && !bus->devmem_one && bus->irqcontrol);
    cr_assert(!drv->devmem && !drv->irqcontrol);
    cr_assert_str_eq(bus->as, "bus");
    cr_assert_str_eq(drv->as, "disk");
    cr_assert_eq(conf_find_service(&c, "disk", 4), 1);
    cr_assert_eq(conf_find_service(&c, "drv", 3), -1);
    cr_assert_eq(prog("user")->sees, 1ull << 1);
    cr_assert_eq(conf_visible(&c, 1), 1ull | 1ull << 3);
    /* A service name taken by another program's name or service name. */
    cr_assert_eq(parse("server a\nserver b as=a\nserver c as=x\nserver x\nserver d as=x\n"), 3);
    assert_error(2, "the name a is taken by a");
    assert_error(4, "the name x is taken by c");
    assert_error(5, "the name x is taken by c");
    cr_assert_eq(parse("server bus devmem irqcontrol ioport=0xcf8-0xcff cnode=10\n"
                       "server drv as=disk sees=bus\n"),
                 0);
    /* init.run= gives a default run entry sight of the servers by their service names. */
    cr_assert_eq(conf_override_run(&c, "t"), 0);
    cr_assert_eq(prog("t")->sees, 1ull << 0 | 1ull << 1);
}

Test(bootconf, without_a_name_server_no_name_slot)
{
    cr_assert_eq(parse("run a\n"), 0);
    cr_assert_eq(prog("a")->slots, 0);
}

struct bad {
    const char *line;
    const char *what;
};

Test(bootconf, each_bad_line_is_reported_with_its_number_and_skipped)
{
    static const struct bad bad[] = {
        {"srv a", "unknown kind 'srv'"},
        {"server", "program name missing"},
        {"server A", "bad program name 'A'"},
        {"server -x", "bad program name"},
        {"server abcdefghijabcdefghijabcdefghij12", "bad program name"},
        {"server init", "'init' is init's own name"},
        {"server a mem=0", "mem=0"},
        {"server a mem=100", "mem=100"},
        {"server a mem=65G", "mem=65G"},
        {"server a mem=99999999999999999999999", "mem="},
        {"server a mem=4K mem=8K", "option mem given twice"},
        {"server a mem", "option mem needs a value"},
        {"server a prio=0", "prio=0"},
        {"server a prio=254", "prio=254"},
        {"server a prio=1x", "prio=1x"},
        {"server a cnode=5", "cnode=5"},
        {"server a cnode=17", "cnode=17"},
        {"server a untyped=3K", "untyped=3K"},
        {"server a untyped=12K", "untyped=12K"},
        {"server a untyped=8G", "untyped=8G"},
        {"server a ioport=0x400-0x3ff", "ioport="},
        {"server a ioport=0x10000", "ioport="},
        {"server a ioport=-", "ioport="},
        {"server a irq=256", "irq=256"},
        {"server a initramfs=1", "option initramfs takes no value"},
        {"server a colour=red", "unknown option 'colour'"},
        {"server a devmem=0x1000000000000", "devmem=0x1000000000000"},
        {"server a devmem=uart", "devmem=uart"},
        {"server a irqcontrol=yes", "option irqcontrol takes no value"},
        {"server a irq=4 irqcontrol", "irq= and irqcontrol both want slot IRQ"},
        {"server a irqcontrol irq=4", "irq= and irqcontrol both want slot IRQ"},
        {"server a devmem devmem", "option devmem given twice"},
        {"server a as", "option as needs a value"},
        {"server a as=", "as="},
        {"server a as=Rng", "as=Rng"},
        {"server a as=init", "as=init"},
        {"server a as=log", "as=log"},
        {"server a mem=0x", "mem=0x"},
        {"server a \x01", "control or non-ASCII byte 0x01"},
        {"server a \xc3\xa9", "non-ASCII byte 0xc3"},
        {"power", "nothing given"},
        {"power off=1:2", "unknown option 'off=1:2'"},
        {"power poweroff=0x604", "PORT:VALUE"},
        {"power poweroff=0x604:0x10000", "PORT:VALUE"},
        {"power poweroff=1:1 poweroff=2:2", "given twice"},
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[256];
        snprintf(text, sizeof(text), "server ok1\n%s\nserver ok2\n", bad[i].line);
        cr_assert_eq(parse(text), 1, "'%s': %u errors (first: %s)", bad[i].line, c.errors,
                     c.nerr ? c.err[0].msg : "");
        assert_error(2, bad[i].what);
        cr_assert_eq(c.nprogs, 2, "'%s' was not skipped", bad[i].line);
        cr_assert_str_eq(c.prog[1].name, "ok2");
        cr_assert(!c.poweroff.set);
    }
}

Test(bootconf, duplicates_and_the_program_bound)
{
    cr_assert_eq(parse("server a\nrun a\n"), 1);
    assert_error(2, "declared twice (first on line 1)");
    char text[64 * 16];
    size_t n = 0;
    for (unsigned i = 0; i < CONF_MAX_PROGS + 1; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "run p%u\n", i);
    cr_assert_eq(parse(text), 1);
    assert_error(CONF_MAX_PROGS + 1, "more than 63 programs");
    cr_assert_eq(c.nprogs, CONF_MAX_PROGS);
    cr_assert_eq(parse("power poweroff=1:2\npower reboot=3:4\npower poweroff=5:6\n"), 1);
    assert_error(3, "already configured");
    cr_assert_eq(c.poweroff.port, 1);
    cr_assert_eq(c.reboot.value, 4);
}

/* The ports' configurations: every program, and power through the firmware
 * (the Power cap, decision 184) for both commands. */
Test(bootconf, the_ports_boot_confs_power_through_the_firmware)
{
    static const char *const files[] = {"user/init/boot-aarch64.conf",
                                        "user/init/boot-riscv64.conf"};
    for (unsigned i = 0; i < 2; i++) {
        FILE *f = fopen(files[i], "r");
        cr_assert_not_null(f, "%s", files[i]);
        static char buf[8192];
        size_t n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        cr_assert_eq(conf_parse(&c, buf, n), 0, "%s line %u: %s", files[i], c.err[0].line,
                     c.err[0].msg);
        cr_assert(c.poweroff.set && c.poweroff.firmware, "%s", files[i]);
        cr_assert(c.reboot.set && c.reboot.firmware, "%s", files[i]);
    }
}

Test(bootconf, power_by_port_or_firmware)
{
    cr_assert_eq(parse("power poweroff=firmware reboot=0xcf9:6\n"), 0);
    cr_assert(c.poweroff.set && c.poweroff.firmware);
    cr_assert(c.reboot.set && !c.reboot.firmware && c.reboot.port == 0xcf9 && c.reboot.value == 6);
    cr_assert_eq(parse("power reboot=firmware\n"), 0);
    cr_assert(!c.poweroff.set && c.reboot.set && c.reboot.firmware);
    cr_assert_eq(parse("power poweroff=Firmware\n"), 1);
    assert_error(1, "PORT:VALUE (each 0 to 0xffff) or firmware, not 'Firmware'");
    cr_assert_eq(parse("power poweroff=firmware:1\n"), 1);
    cr_assert(!c.poweroff.set);
}

Test(bootconf, bad_references_are_dropped_alone)
{
    cr_assert_eq(parse("server log\nrun a sees=log,nosuch,,log2 give=a,nothing\n"), 5);
    assert_error(2, "sees: no program named 'nosuch'");
    assert_error(2, "sees: no program named 'log2'");
    assert_error(2, "sees: empty or overlong name");
    assert_error(2, "give: a has no well-known slot");
    assert_error(2, "give: no program named 'nothing'");
    cr_assert_eq(prog("a")->sees, 1ull << 0, "log is still seen");
    cr_assert_eq(prog("a")->slots, CONF_SVC_LOG);
}

Test(bootconf, errors_beyond_the_kept_ones_are_counted)
{
    char text[4096];
    size_t n = 0;
    for (unsigned i = 0; i < 40; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "bogus %u\n", i);
    cr_assert_eq(parse(text), 40);
    cr_assert_eq(c.nerr, CONF_MAX_ERRORS);
    cr_assert_eq(c.err[CONF_MAX_ERRORS - 1].line, CONF_MAX_ERRORS);
}

Test(bootconf, init_run_replaces_the_run_entries)
{
    cr_assert_eq(parse("server name\nrun shell mem=8M sees=name\nserver log\nrun other\n"), 0);
    cr_assert_eq(conf_override_run(&c, "svtest,shell"), 0);
    cr_assert_eq(c.nprogs, 4);
    cr_assert_str_eq(c.prog[0].name, "name");
    cr_assert_str_eq(c.prog[1].name, "log");
    cr_assert_str_eq(c.prog[2].name, "svtest");
    cr_assert_str_eq(c.prog[3].name, "shell");
    const struct conf_prog *t = prog("svtest");
    cr_assert_eq(t->kind, CONF_RUN);
    cr_assert_eq(t->mem, 16u << 20);
    cr_assert_eq(t->untyped, 1u << 20);
    cr_assert_eq(t->sees, 1ull << 0 | 1ull << 1, "every server");
    cr_assert_eq(t->slots, CONF_SVC_NAME | CONF_SVC_LOG | CONF_SVC_INIT);
    /* shell keeps the options of its line in the file. */
    cr_assert_eq(prog("shell")->mem, 8u << 20);
    cr_assert_eq(prog("shell")->sees, 1ull << 0);
    cr_assert_eq(conf_visible(&c, 0), 1ull | 1ull << 3 | 1ull << 4);
}

Test(bootconf, init_run_errors)
{
    cr_assert_eq(parse("server name\n"), 0);
    cr_assert_eq(conf_override_run(&c, "a,,Bad,name,a,init"), 5);
    assert_error(0, "bad program name ''");
    assert_error(0, "bad program name 'Bad'");
    assert_error(0, "name named twice or already a server");
    assert_error(0, "a named twice");
    assert_error(0, "bad program name 'init'");
    cr_assert_eq(c.nprogs, 2);
    cr_assert_eq(conf_override_run(&c, ""), 0);
    cr_assert_eq(c.nprogs, 1, "an empty list: servers only");
}

/* Random text from an alphabet of the grammar's own pieces: errors or entries
 * within bounds. */
Test(bootconf, random_text_never_breaks_the_bounds)
{
    static const char *const pieces[] = {
        "server ", "run ",   "power ",    "name",      "log",        " ",     "\t",
        "\n",      "#",      "mem=",      "prio=",     "sees=",      "give=", "untyped=",
        "irq=",    "cnode=", "ioport=",   "devmem",    "irqcontrol", "as=",   "4K",
        "16M",     "0x3f8",  "-",         ",",         ":",          "init",  "=",
        "99999",   "a",      "initramfs", "poweroff=", "reboot=",    "\r",    "\x01"};
    srand(1);
    for (unsigned round = 0; round < 20000; round++) {
        char text[512];
        size_t n = 0;
        while (n < sizeof(text) - 16) {
            const char *p = pieces[rand() % (sizeof(pieces) / sizeof(pieces[0]))];
            size_t l = strlen(p);
            memcpy(text + n, p, l);
            n += l;
            if (rand() % 40 == 0)
                break;
        }
        conf_parse(&c, text, n);
        cr_assert_leq(c.nprogs, CONF_MAX_PROGS);
        cr_assert_leq(c.nerr, CONF_MAX_ERRORS);
        for (unsigned i = 0; i < c.nprogs; i++) {
            const struct conf_prog *p = &c.prog[i];
            cr_assert(p->prio >= CONF_PRIO_MIN && p->prio <= CONF_PRIO_MAX);
            cr_assert(p->cnode >= CONF_CNODE_MIN && p->cnode <= CONF_CNODE_MAX);
            cr_assert(p->mem >= 4096 && p->mem <= CONF_MEM_MAX && p->mem % 4096 == 0);
            cr_assert(!p->untyped || !(p->untyped & (p->untyped - 1)));
            cr_assert(p->irq >= -1 && p->irq <= 255);
            cr_assert_lt(strlen(p->name), sizeof(p->name));
            cr_assert_eq(p->sees >> c.nprogs, 0);
            cr_assert_eq(conf_find(&c, p->name, strlen(p->name)), (int)i);
        }
    }
}
