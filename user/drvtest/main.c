/*
 * drvtest: the drivers' supervision test (make check-drivers; docs/devices.md,
 * "The PCI bus server"). init starts it as a run entry (init.run=drvtest) after
 * the servers of user/init/boot.conf, on a machine with a virtio-blk disk and a
 * virtio-rng device, so pcibus, vblk and rng run as ordinary supervised
 * servers. It prints TAP; tools/qemu-test judges it.
 *
 *   - vblk and rng are looked up through the name server and answer;
 *   - the bus server refuses a second client the disk vblk holds, GetCap and
 *     ConfigRead of a device not claimed, an index out of range, a device that
 *     does not exist;
 *   - data written and flushed reads back;
 *   - Kill(vblk) while a second thread has a Read in flight in the driver (its
 *     state BLOCKED_CALL): the Read ends CANCELLED, init restarts vblk, which
 *     claims the disk again from the bus (same badge), the thread reconnects
 *     (wf_reconnect), gives its buffer again, and the data written and flushed
 *     before the kill reads back intact;
 *   - rng gives random bytes.
 * Without the disk (a boot that does not add it) the tests are skipped.
 *
 * Usage: started by init only (init.run=drvtest).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "weft/invoke.h"
#include "wf/client.h"
#include "wf/proto/block.h"
#include "wf/proto/init.h"
#include "wf/proto/pci.h"
#include "wf/proto/rng.h"
#include "wf/runtime.h"
#include "wf/spawn.h"
#include "wf/startinfo.h"
#include "wf/syscall.h"

#define TESTS    6
#define BUF_VA   0x500000000000ull
#define BUF_SIZE 0x20000u /* 256 sectors */
#define LBA      200u     /* the sectors written before the kill */
#define NSECT    8u
#define WAIT_NS  30000000000ull

enum { SLOT_VBLK = WF_CHILD_FIRST_FREE, SLOT_RNG, SLOT_PCI, SLOT_BUF, SLOT_SCRATCH, SLOT_ENV };

static unsigned test_no, failed;

static void result(bool ok, const char *name, const char *skip, const char *why)
{
    ++test_no;
    if (skip)
        printf("ok %u - %s # SKIP %s\n", test_no, name, skip);
    else if (ok)
        printf("ok %u - %s\n", test_no, name);
    else
        printf("not ok %u - %s # %s\n", test_no, name, why);
    if (!ok && !skip)
        failed++;
    fflush(stdout);
}

/* init's view of program name: its state and restarts; false when unknown. */
static bool program(const char *name, wf_word_t *state, wf_word_t *restarts)
{
    for (wf_word_t i = 0; i < 64; i++) {
        char n[WFP_INIT_NAME_MAX];
        wf_word_t len, st, rs;
        if (wfp_init_program(WF_CHILD_INIT, i, &st, &rs, 0, 0, 0, 0, n, sizeof(n), &len) !=
            WF_ERR_OK)
            return false;
        if (len == strlen(name) && !memcmp(n, name, len)) {
            *state = st;
            *restarts = rs;
            return true;
        }
    }
    return false;
}

/* wf_reconnect, retried until the restarted server is registered again. */
static enum wf_error reconnect(wf_cptr_t slot, const char *name)
{
    enum wf_error e = WF_ERR_FAILED_LOOKUP;
    uint64_t end = wf_clock_ns() + WAIT_NS;
    while (e != WF_ERR_OK && wf_clock_ns() < end)
        if ((e = wf_reconnect(slot, name)) != WF_ERR_OK)
            wf_sys_yield();
    return e;
}

static uint8_t *buf = (uint8_t *)BUF_VA;

static uint8_t mark(uint32_t i)
{
    return (uint8_t)(i * 13 + 7);
}

static void test_pci_refusals(void)
{
    enum wf_error e = reconnect(SLOT_PCI, "pcibus");
    wf_word_t index = 0, id = 0, v = 0, n = 0;
    while (e == WF_ERR_OK && wfp_pci_describe(SLOT_PCI, n, &id, 0, 0, 0, 0) == WF_ERR_OK)
        n++;
    bool ok =
        e == WF_ERR_OK && n >= 2 &&
        wfp_pci_claim(SLOT_PCI, 0x1af4, 0x1042, WFP_PCI_ANY, 0, &index) ==
            WF_ERR_ILLEGAL_OPERATION &&
        wfp_pci_claim(SLOT_PCI, 0x1af4, 0x1042, WFP_PCI_ANY, 1, &index) == WF_ERR_FAILED_LOOKUP &&
        wfp_pci_claim(SLOT_PCI, 0xdead, WFP_PCI_ANY, WFP_PCI_ANY, 0, &index) ==
            WF_ERR_FAILED_LOOKUP &&
        wfp_pci_describe(SLOT_PCI, n, &id, 0, 0, 0, 0) == WF_ERR_RANGE_ERROR &&
        wfp_pci_get_cap(SLOT_PCI, 0, 0, WF_CHILD_CNODE, SLOT_SCRATCH, 64) ==
            WF_ERR_ILLEGAL_OPERATION &&
        wfp_pci_config_read(SLOT_PCI, 0, 0, 4, &v) == WF_ERR_ILLEGAL_OPERATION &&
        wfp_pci_set_command(SLOT_PCI, 0, 0) == WF_ERR_ILLEGAL_OPERATION &&
        wfp_pci_release(SLOT_PCI, 0, 0) == WF_ERR_ILLEGAL_OPERATION &&
        wfp_pci_release(SLOT_PCI, WFP_PCI_ANY, 5) == WF_ERR_RANGE_ERROR;
    result(ok, "drv/pcibus_refuses_what_the_caller_does_not_hold", 0,
           e != WF_ERR_OK ? "pcibus not found" : "a refusal missing");
}

static bool set_buffer(void)
{
    wf_word_t size = 0;
    return wfp_block_set_buffer(SLOT_VBLK, SLOT_BUF, &size) == WF_ERR_OK && size == BUF_SIZE;
}

static void test_write_flush_read(void)
{
    for (uint32_t i = 0; i < NSECT * 512; i++)
        buf[i] = mark(i);
    enum wf_error w = wfp_block_write(SLOT_VBLK, LBA, NSECT, 0);
    enum wf_error f = wfp_block_flush(SLOT_VBLK);
    memset(buf, 0, NSECT * 512);
    enum wf_error r = wfp_block_read(SLOT_VBLK, LBA, NSECT, 0x1000);
    bool same = true;
    for (uint32_t i = 0; i < NSECT * 512; i++)
        same &= buf[0x1000 + i] == mark(i);
    result(w == WF_ERR_OK && f == WF_ERR_OK && r == WF_ERR_OK && same,
           "drv/written_and_flushed_sectors_read_back", 0,
           w != WF_ERR_OK   ? "Write failed"
           : f != WF_ERR_OK ? "Flush failed"
           : r != WF_ERR_OK ? "Read failed"
                            : "different data");
}

static volatile wf_word_t reads, read_err = WF_ERR_OK;

/* Reads the whole buffer's worth of sectors until a Read fails. */
static int reader(uintptr_t arg)
{
    (void)arg;
    for (;;) {
        wf_word_t e = wfp_block_read(SLOT_VBLK, 0, BUF_SIZE / 512, 0);
        if (e != WF_ERR_OK) {
            read_err = e;
            return 0;
        }
        reads++;
    }
}

static void test_kill_mid_io(void)
{
    const char *name = "drv/kill_vblk_mid_read_cancels_and_acknowledged_data_survives";
    const struct wf_startinfo *si = (const struct wf_startinfo *)WF_CHILD_STARTINFO;
    struct wf_spawn_env env = {.cnode = WF_CHILD_CNODE,
                               .cnode_radix = (unsigned)si->cnode_radix,
                               .untyped = WF_CHILD_UNTYPED,
                               .pool = WF_CHILD_POOL,
                               .vspace = WF_CHILD_VSPACE,
                               .tcb = WF_CHILD_TCB,
                               .next_slot = SLOT_ENV,
                               .end_slot = 1ull << (si->cnode_radix - 1)};
    wf_word_t st = 0, before = 0, prio = 0;
    program("vblk", &st, &before);
    wf_tcb_describe(WF_CHILD_TCB, 0, &prio, 0, 0);
    struct wf_thread t;
    if (wf_thread_create(&env, &t, reader, 0, (unsigned)prio) != WF_ERR_OK) {
        result(false, name, 0, "no reader thread");
        return;
    }
    wf_thread_start(&t);
    /* Round robin with the reader: stop when its Read is held by the driver. */
    wf_word_t state = 0;
    unsigned tries = 0;
    do {
        wf_sys_yield();
        wf_tcb_describe(t.tcb, &state, 0, 0, 0);
    } while (state != WF_THREAD_STATE_BLOCKED_CALL && ++tries < 100000);
    bool in_flight = state == WF_THREAD_STATE_BLOCKED_CALL;
    enum wf_error k = wfp_init_kill(WF_CHILD_INIT, "vblk", 4);
    struct wf_event ev;
    wf_thread_wait(&t, &ev);
    wf_thread_destroy(&env, &t);
    /* Back: restarted once, found again, the buffer given again, the data intact. */
    uint64_t end = wf_clock_ns() + WAIT_NS;
    wf_word_t rs = 0;
    while (wf_clock_ns() < end &&
           !(program("vblk", &st, &rs) && rs > before && st == WFP_INIT_STATE_RUNNING))
        wf_sys_yield();
    enum wf_error re = reconnect(SLOT_VBLK, "vblk");
    bool given = re == WF_ERR_OK && set_buffer();
    memset(buf, 0, BUF_SIZE);
    enum wf_error r = given ? wfp_block_read(SLOT_VBLK, LBA, NSECT, 0) : re;
    bool same = true;
    for (uint32_t i = 0; i < NSECT * 512; i++)
        same &= buf[i] == mark(i);
    printf("# %lu reads before the kill; the Read in flight ended: %s\n", (unsigned long)reads,
           wf_error_name((enum wf_error)read_err));
    /* The Read held by the killed driver fails: CANCELLED when its reply goes
     * with the driver's memory, FAILED_LOOKUP when the call is restarted on the
     * revoked endpoint; either way the client learns and retries. */
    bool read_failed = read_err == WF_ERR_CANCELLED || read_err == WF_ERR_FAILED_LOOKUP;
    result(in_flight && k == WF_ERR_OK && read_failed && rs == before + 1 && given &&
               r == WF_ERR_OK && same,
           name, 0,
           !in_flight         ? "no Read held by the driver"
           : k != WF_ERR_OK   ? "Kill failed"
           : !failed          ? "the Read in flight did not fail"
           : rs != before + 1 ? "vblk not restarted once"
           : !given           ? "no reconnect or SetBuffer after the restart"
           : r != WF_ERR_OK   ? "Read after the restart failed"
                              : "the flushed data did not survive");
}

static void test_rng(void)
{
    enum wf_error e = reconnect(SLOT_RNG, "rng");
    uint8_t a[32] = {0};
    wf_word_t got = 0;
    enum wf_error r = e == WF_ERR_OK ? wfp_rng_read(SLOT_RNG, 32, a, sizeof(a), &got) : e;
    bool nonzero = false;
    for (unsigned i = 0; i < got && i < sizeof(a); i++)
        nonzero |= a[i] != 0;
    result(r == WF_ERR_OK && got >= 1 && nonzero, "drv/rng_is_looked_up_and_reads", 0,
           e != WF_ERR_OK ? "rng not found" : "Read failed or gave zeros");
}

int main(int argc, char **argv)
{
    const struct wf_startinfo *si = (const struct wf_startinfo *)WF_CHILD_STARTINFO;
    (void)argv;
    if (argc != 1 || si->magic != WF_STARTINFO_MAGIC || si->cnode_radix < 7) {
        fprintf(stderr, "usage: drvtest (started by init with init.run=drvtest, on a machine "
                        "with a virtio-blk disk and a virtio-rng device)\n");
        return 2;
    }
    printf("TAP version 14\n1..%d\n", TESTS);
    wf_word_t st = 0, rs = 0;
    if (!program("vblk", &st, &rs) || st != WFP_INIT_STATE_RUNNING) {
        for (unsigned i = 0; i < TESTS; i++)
            result(true, "drv/skipped", "vblk does not run (no disk in this boot?)", 0);
        return 0;
    }
    wf_word_t bb = 0, sectors = 0, flags = 0;
    enum wf_error e = reconnect(SLOT_VBLK, "vblk");
    bool ok = e == WF_ERR_OK && wfp_block_info(SLOT_VBLK, &bb, &sectors, &flags) == WF_ERR_OK &&
              bb == 512 && sectors > LBA + NSECT;
    result(ok, "drv/vblk_is_looked_up_and_answers", 0, "lookup or Info failed");
    ok =
        wf_pool_create_contig(WF_CHILD_POOL, BUF_SIZE, WF_CHILD_CNODE, SLOT_BUF, 64) == WF_ERR_OK &&
        wf_vspace_map(WF_CHILD_VSPACE, SLOT_BUF, BUF_VA, 0, BUF_SIZE, WF_VM_READ | WF_VM_WRITE) ==
            WF_ERR_OK &&
        set_buffer();
    result(ok, "drv/a_buffer_is_given", 0, "no contiguous buffer or SetBuffer failed");
    test_pci_refusals();
    test_write_flush_read();
    test_kill_mid_io();
    test_rng();
    return failed ? 1 : 0;
}
