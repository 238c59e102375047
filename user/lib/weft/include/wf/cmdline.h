/*
 * The kernel command line as the root task finds it in its bootinfo: words
 * separated by spaces, each "key" or "key=value" (user/lib/weft/cmdline.c).
 */
#ifndef WF_CMDLINE_H
#define WF_CMDLINE_H
#include <stddef.h>

/* The value of key in cmdline ("key=value" gives value, a bare "key" gives ""),
 * copied into buf (n > 0 bytes, cut to fit, NUL-terminated); NULL if key is
 * absent. "init" does not match "init.conf=...": a key ends at '=' or a space. */
const char *wf_cmdline_get(const char *cmdline, const char *key, char *buf, size_t n);

#endif
