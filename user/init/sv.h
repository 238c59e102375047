/*
 * init's supervisor (user/init/sv.c): starts the programs of the boot
 * configuration, restarts them when they end or fault, and serves the init
 * protocol (docs/userspace.md, "init and the boot configuration" and
 * "Supervision"; decisions 109 and 110).
 */
#ifndef INIT_SV_H
#define INIT_SV_H

#include "weft/bootinfo.h"

/* Runs the system the boot configuration describes: reads the initramfs file
 * conf_name (the command line's init.conf=, else boot.conf), replaces its run
 * entries by run_list when it is not NULL (init.run=), starts every program and
 * supervises them. Returns only in a test boot (run_list given) once every run
 * entry has ended: 0 when each exited with status 0, 1 otherwise; or 2 when the
 * configuration or init's own resources are missing. */
int sv_run(const struct wf_bootinfo *bi, const char *conf_name, const char *run_list);

#endif
