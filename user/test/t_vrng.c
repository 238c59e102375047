/*
 * The virtio-rng driver (user/vrng) on QEMU's device. check-user boots with a
 * modern-only virtio-rng-pci function (mk/test.mk: QEMU_TEST_RNG).
 *
 * The vrng/ tests start user/vrng as a child process with what init would give it
 * (tvirtio.h) and are its client: Reads of 1, 16 and 256 bytes (not all zero,
 * two reads differ, every answer from the interrupt path), refused sizes, and
 * Reads of two client threads in flight together. Without the device (a boot
 * that does not add it) the tests are skipped; check-user requires them to
 * pass.
 */
#include <string.h>

#include "../vrng/vrng.h"
#include "tutil.h"
#include "tarch.h"
#include "tvirtio.h"
#include "weft/invoke.h"
#include "wf/pci.h"
#include "wf/proto/rng.h"
#include "wf/startinfo.h"
#include "wf/virtio_drv.h"

#define VRNG_POOL (1u << 20)

static struct pci_access acc;

/* Finds the device (BARs sized) and starts the driver; skips the test when
 * the boot has no virtio-rng-pci function. */
static bool start_driver(struct tv_drv *d)
{
    static struct pci_func all[64];
    size_t n = 0;
    NEED(tv_pci_scan(test_slot(0), &acc, all, 64, &n, false));
    for (size_t i = 0; i < n; i++) {
        if (all[i].vendor == VIRTIO_PCI_VENDOR && all[i].device == VRNG_PCI_MODERN) {
            d->f = all[i];
            return tv_start_driver(d, "vrng", VRNG_POOL);
        }
    }
    test_skip_now("no virtio-rng-pci device in this boot (check-user adds one)");
}

static wf_cptr_t client(struct tv_drv *d, wf_word_t badge)
{
    struct wf_spawn_env *e = test_env();
    wf_cptr_t c = e ? wf_env_slot(e) : 0;
    if (!c || wf_cnode_mint(WF_ROOT_CNODE, c, 64, WF_ROOT_CNODE, d->ep, 64, WF_RIGHTS_ALL, badge))
        return 0;
    return c;
}

static bool all_zero(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

TEST(vrng, driver_reads_random_bytes)
{
    struct tv_drv d;
    TEST_ASSERT(start_driver(&d));
    wf_cptr_t c = client(&d, 1);
    TEST_ASSERT(c != 0);
    static uint8_t a[WFP_RNG_MAX + 8], b[WFP_RNG_MAX + 8];
    static const wf_word_t sizes[] = {1, 16, WFP_RNG_MAX};
    for (unsigned k = 0; k < 3; k++) {
        wf_word_t want = sizes[k], got_a = 0, got_b = 0;
        memset(a, 0, sizeof(a));
        memset(b, 0, sizeof(b));
        TEST_ASSERT_ERR(wfp_rng_read(c, want, a, sizeof(a), &got_a), WF_ERR_OK);
        TEST_ASSERT_ERR(wfp_rng_read(c, want, b, sizeof(b), &got_b), WF_ERR_OK);
        TEST_ASSERT(got_a >= 1 && got_a <= want, "%lu bytes for %lu", (unsigned long)got_a,
                    (unsigned long)want);
        TEST_ASSERT(got_b >= 1 && got_b <= want, "%lu bytes for %lu", (unsigned long)got_b,
                    (unsigned long)want);
        /* QEMU's device fills the whole buffer. */
        TEST_ASSERT_EQ(got_a, want);
        if (want >= 16) {
            TEST_ASSERT(!all_zero(a, got_a) && !all_zero(b, got_b), "%lu zero bytes",
                        (unsigned long)want);
            TEST_ASSERT(memcmp(a, b, want) != 0, "two reads of %lu bytes are equal",
                        (unsigned long)want);
        }
    }
    /* One byte can be zero by chance: 8 one-byte reads are not all equal. */
    uint8_t one[8];
    bool differ = false;
    for (unsigned i = 0; i < 8; i++) {
        wf_word_t got = 0;
        TEST_ASSERT_ERR(wfp_rng_read(c, 1, &one[i], 1, &got), WF_ERR_OK);
        TEST_ASSERT_EQ(got, 1);
        differ |= one[i] != one[0];
    }
    TEST_ASSERT(differ, "8 one-byte reads all gave %u", one[0]);
    /* Every answer came from the interrupt path (on_notify). */
    wf_word_t irq = 0, count = 0;
    TEST_ASSERT_ERR(wf_irqhandler_describe(d.irq, &irq, 0, &count), WF_ERR_OK);
    TEST_ASSERT_EQ(irq, d.f.irq_line);
    TEST_ASSERT(count >= 14, "%lu interrupts for 14 reads", (unsigned long)count);
    tv_stop_driver(&d, &acc);
}

TEST(vrng, driver_refuses_bad_sizes)
{
    struct tv_drv d;
    TEST_ASSERT(start_driver(&d));
    wf_cptr_t c = client(&d, 1);
    TEST_ASSERT(c != 0);
    uint8_t buf[WFP_RNG_MAX];
    wf_word_t got = 77;
    TEST_ASSERT_ERR(wfp_rng_read(c, 0, buf, sizeof(buf), &got), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wfp_rng_read(c, WFP_RNG_MAX + 1, buf, sizeof(buf), &got), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wfp_rng_read(c, ~(wf_word_t)0, buf, sizeof(buf), &got), WF_ERR_RANGE_ERROR);
    /* A label past Read in the range, and good reads after all that. */
    wf_word_t w[1] = {4}, out[40];
    unsigned outlen, outcaps;
    TEST_ASSERT_ERR(
        (enum wf_error)wf_proto_call(c, WFP_RNG_READ + 1, w, 1, 0, 0, out, 40, &outlen, &outcaps),
        WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_ERR(wfp_rng_read(c, 32, buf, sizeof(buf), &got), WF_ERR_OK);
    TEST_ASSERT_EQ(got, 32);
    tv_stop_driver(&d, &acc);
}

/* Reads of two client threads held by the driver at once. */
struct reader {
    wf_cptr_t c;
    volatile wf_word_t err[4];
    wf_word_t got[4];
    uint8_t data[4][64];
};

static int read_some(uintptr_t arg)
{
    struct reader *r = (struct reader *)arg;
    for (unsigned i = 0; i < 4; i++)
        r->err[i] = wfp_rng_read(r->c, 64, r->data[i], 64, &r->got[i]);
    return 0;
}

TEST(vrng, driver_holds_reads_of_two_threads)
{
    struct tv_drv d;
    TEST_ASSERT(start_driver(&d));
    TEST_ENV(e);
    static struct reader r[2];
    r[0] = (struct reader){.c = client(&d, 1), .err = {1000, 1000, 1000, 1000}};
    r[1] = (struct reader){.c = client(&d, 2), .err = {1000, 1000, 1000, 1000}};
    TEST_ASSERT(r[0].c && r[1].c);
    /* The driver does not run while the clients call: both Calls wait on it,
     * then it takes both before the device's first interrupt can come. */
    TEST_ASSERT_ERR(wf_tcb_set_priority(d.p.main.tcb, WF_ROOT_TCB, 0), WF_ERR_OK);
    struct wf_thread t[2];
    for (unsigned i = 0; i < 2; i++) {
        TEST_ASSERT_ERR(wf_thread_create(e, &t[i], read_some, (uintptr_t)&r[i], TEST_CHILD_PRIO),
                        WF_ERR_OK);
        TEST_ASSERT_ERR(wf_thread_start(&t[i]), WF_ERR_OK);
    }
    TEST_ASSERT(test_settle());
    TEST_ASSERT(r[0].err[0] == 1000 && r[1].err[0] == 1000, "answered without the driver");
    TEST_ASSERT_ERR(wf_tcb_set_priority(d.p.main.tcb, WF_ROOT_TCB, TEST_CHILD_PRIO), WF_ERR_OK);
    for (unsigned i = 0; i < 2; i++) {
        struct wf_event ev;
        TEST_ASSERT_ERR(wf_thread_wait(&t[i], &ev), WF_ERR_OK);
        for (unsigned k = 0; k < 4; k++) {
            TEST_ASSERT_ERR((enum wf_error)r[i].err[k], WF_ERR_OK);
            TEST_ASSERT_EQ(r[i].got[k], 64);
            TEST_ASSERT(!all_zero(r[i].data[k], 64), "thread %u read %u is zero", i, k);
        }
    }
    TEST_ASSERT(memcmp(r[0].data[0], r[1].data[0], 64) != 0, "both threads got the same bytes");
    tv_stop_driver(&d, &acc);
}
