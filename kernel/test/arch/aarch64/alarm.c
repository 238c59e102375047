/*
 * The irq self-tests' device interrupt on aarch64 (ktest_alarm.h): QEMU
 * virt's PL031 real-time clock at 0x09010000 (PL031 TRM, section 3.3), its
 * match interrupt on SPI 2 (line n is SPI n; level high). Armed with the
 * match register at the current count, the PL031 raises it at once (QEMU
 * compares when MR is written); a second that ends between the read and the
 * write puts the match a wrap away, so arm writes again until it is raised.
 */
#include "arch.h"
#include "config.h"
#include "arch/aarch64.h"
#include "ktest_alarm.h"

#define PL031_PA   0x09010000ull
#define PL031_DR   0x000 /* data: the count, in seconds */
#define PL031_MR   0x004 /* match */
#define PL031_IMSC 0x010 /* interrupt mask set/clear: 1 enables */
#define PL031_RIS  0x014 /* raw interrupt status */
#define PL031_ICR  0x01c /* interrupt clear */
#define PL031_PID0 0xfe0 /* peripheral id 0: 0x31 */

static volatile void *rtc;

static bool pl031_setup(void)
{
    if (!rtc)
        rtc = arch_mmio_map(PL031_PA, PAGE_SIZE);
    return (mmio_read32(rtc, PL031_PID0) & 0xff) == 0x31;
}

static void pl031_quiet(void)
{
    mmio_write32(rtc, PL031_IMSC, 0);
    mmio_write32(rtc, PL031_ICR, 1);
}

static void pl031_arm(void)
{
    pl031_quiet();
    mmio_write32(rtc, PL031_IMSC, 1);
    for (unsigned k = 0; k < 3 && !(mmio_read32(rtc, PL031_RIS) & 1); k++)
        mmio_write32(rtc, PL031_MR, mmio_read32(rtc, PL031_DR));
}

static bool pl031_raised(void)
{
    return mmio_read32(rtc, PL031_RIS) & 1;
}

const struct ktest_alarm ktest_alarm = {"the PL031", 2,         pl031_setup,
                                        pl031_quiet, pl031_arm, pl031_raised};
