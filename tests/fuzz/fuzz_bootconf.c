/*
 * libFuzzer target: init's boot configuration parser (user/init/conf.c) over
 * arbitrary bytes, then the init.run= override with a list cut from the same
 * input. Properties: no crash, no read outside the input (ASan, on an exact-size
 * copy), no undefined behaviour (UBSan); every entry kept lies within the bounds
 * conf.h states, names are unique and found again by conf_find, references point
 * at existing programs, and the error count covers the messages kept.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

static struct boot_conf c;

static void check(void)
{
    if (c.nprogs > CONF_MAX_PROGS || c.nerr > CONF_MAX_ERRORS || c.nerr > c.errors)
        abort();
    for (unsigned i = 0; i < c.nerr; i++)
        if (strlen(c.err[i].msg) >= sizeof(c.err[i].msg))
            abort();
    for (unsigned i = 0; i < c.nprogs; i++) {
        const struct conf_prog *p = &c.prog[i];
        size_t n = strnlen(p->name, sizeof(p->name));
        if (n == 0 || n > CONF_NAME_MAX || conf_find(&c, p->name, n) != (int)i)
            abort();
        if (p->kind != CONF_SERVER && p->kind != CONF_RUN)
            abort();
        if (p->prio < CONF_PRIO_MIN || p->prio > CONF_PRIO_MAX || p->cnode < CONF_CNODE_MIN ||
            p->cnode > CONF_CNODE_MAX || p->mem < 4096 || p->mem > CONF_MEM_MAX || p->mem % 4096)
            abort();
        if (p->untyped && (p->untyped < CONF_UT_MIN || p->untyped > CONF_UT_MAX ||
                           (p->untyped & (p->untyped - 1))))
            abort();
        if (p->irq < -1 || p->irq > 255 || (p->has_ioport && p->io_first > p->io_last) ||
            p->io_last > 0xffff)
            abort();
        if (c.nprogs < 64 && (p->sees >> c.nprogs))
            abort();
        if (p->slots & ~(unsigned)(CONF_SVC_NAME | CONF_SVC_LOG | CONF_SVC_CONSOLE | CONF_SVC_INIT))
            abort();
    }
    if ((c.poweroff.set && (c.poweroff.port > 0xffff || c.poweroff.value > 0xffff)) ||
        (c.reboot.set && (c.reboot.port > 0xffff || c.reboot.value > 0xffff)))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    conf_parse(&c, buf, size);
    check();
    /* The last line (up to 200 bytes, no NUL) as an init.run= list. */
    size_t start = size;
    while (start > 0 && buf[start - 1] != '\n' && size - start < 200)
        start--;
    char list[201];
    size_t n = 0;
    for (size_t i = start; i < size; i++)
        if (buf[i])
            list[n++] = buf[i];
    list[n] = 0;
    unsigned before = c.errors;
    if (conf_override_run(&c, list) != c.errors - before)
        abort();
    check();
    free(buf);
    return 0;
}
