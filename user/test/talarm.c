/*
 * The machine's clock interrupt (talarm.h): one struct test_alarm per machine.
 */
#include "talarm.h"

#include "tarch.h"
#include "tutil.h"

#if defined(__x86_64__)
/* The CMOS RTC's periodic interrupt (1024 Hz: rate 6 in register A) on ISA
 * IRQ 8, through an IOPort cap over ports 0x70-0x71. It repeats by itself
 * while enabled; each period raises register C's IRQF, and reading C clears
 * it and drops the request. */
static wf_cptr_t al_io;

static void cmos_write(unsigned reg, wf_word_t v)
{
    wf_ioport_out(al_io, 0x70, 1, reg);
    wf_ioport_out(al_io, 0x71, 1, v);
}

static wf_word_t cmos_read(unsigned reg)
{
    wf_word_t v = 0;
    wf_ioport_out(al_io, 0x70, 1, reg);
    wf_ioport_in(al_io, 0x71, 1, &v);
    return v;
}

static bool cmos_setup(unsigned *next)
{
    al_io = test_slot((*next)++);
    return wf_ioport_issue(WF_ROOT_IOPORT, 0x70, 0x71, WF_ROOT_CNODE, al_io, 64) == WF_ERR_OK;
}

/* Register B's periodic enable off (the request drops), register C read (the
 * flag cleared). */
static void cmos_quiet(void)
{
    cmos_write(0x0b, cmos_read(0x0b) & ~0x40ull);
    (void)cmos_read(0x0c);
}

/* The next period: within 1/1024 s whatever ns asks. */
static void cmos_arm(uint64_t ns)
{
    (void)ns;
    cmos_quiet();
    cmos_write(0x0a, (cmos_read(0x0a) & 0xf0) | 6);
    cmos_write(0x0b, cmos_read(0x0b) | 0x40);
}

/* Register C's IRQF: a period passed with the periodic interrupt enabled. */
static bool cmos_raised(void)
{
    return cmos_read(0x0c) & 0x80;
}

const struct test_alarm test_alarm = {"the CMOS RTC", 8,        976563,     cmos_setup,
                                      cmos_quiet,     cmos_arm, cmos_raised};

#else
/* The device-tree machines' clock, TARCH_DEV_PAGE, through a device VMO. */
static volatile uint32_t *al_rtc;

static bool dev_setup(unsigned *next)
{
    al_rtc = (volatile uint32_t *)test_map_device_page(TARCH_DEV_PAGE, TALARM_VA, next);
    return al_rtc != NULL;
}

#if defined(__aarch64__)
/* The PL031's match interrupt on SPI 2 (line 2, level high): IMSC 0x10, ICR
 * 0x1c, DR 0, MR 4, LR 8, RIS 0x14 (PL031 TRM, section 3.3). It counts seconds
 * on QEMU's host clock; a match register written n ahead of the count fires n
 * seconds after the write. */
#define NS_PER_S 1000000000ull

static void pl031_quiet(void)
{
    al_rtc[0x10 / 4] = 0;
    al_rtc[0x1c / 4] = 1;
}

static void pl031_arm(uint64_t ns)
{
    uint32_t s = ns <= NS_PER_S ? 1 : (uint32_t)((ns + NS_PER_S - 1) / NS_PER_S);
    pl031_quiet();
    al_rtc[0x08 / 4] = 1000;
    al_rtc[0x04 / 4] = al_rtc[0] + s;
    al_rtc[0x10 / 4] = 1;
}

/* RIS: the match happened (ICR clears it). */
static bool pl031_raised(void)
{
    return al_rtc[0x14 / 4] & 1;
}

const struct test_alarm test_alarm = {"the PL031", 2,         NS_PER_S,    dev_setup,
                                      pl031_quiet, pl031_arm, pl031_raised};

#elif defined(__riscv)
/* The Goldfish RTC's alarm on PLIC source 11 (line 10, level high): TIME_LOW
 * 0, TIME_HIGH 4, ALARM_LOW 8, ALARM_HIGH 0xc, IRQ_ENABLED 0x10, ALARM_STATUS
 * 0x18, CLEAR_IRQ 0x1c. It counts nanoseconds on QEMU's host clock; writing
 * ALARM_LOW sets the alarm (one already due fires at once). */
static void goldfish_quiet(void)
{
    al_rtc[0x10 / 4] = 0;
    al_rtc[0x1c / 4] = 1;
}

static void goldfish_arm(uint64_t ns)
{
    goldfish_quiet();
    uint64_t now = al_rtc[0];
    now |= (uint64_t)al_rtc[1] << 32;
    uint64_t when = now + (ns ? ns : 1);
    al_rtc[0x10 / 4] = 1;
    al_rtc[0x0c / 4] = (uint32_t)(when >> 32);
    al_rtc[0x08 / 4] = (uint32_t)when;
}

/* The alarm is no longer running while its interrupt is enabled (quiet
 * disables it). */
static bool goldfish_raised(void)
{
    return al_rtc[0x10 / 4] && !(al_rtc[0x18 / 4] & 1);
}

const struct test_alarm test_alarm = {
    "the Goldfish RTC", 10, 1, dev_setup, goldfish_quiet, goldfish_arm, goldfish_raised};
#else
#error "talarm.c: no clock interrupt for this architecture's machine"
#endif
#endif
