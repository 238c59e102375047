/*
 * The irq self-tests' device interrupt on x86-64 (ktest_alarm.h): the CMOS
 * RTC's periodic interrupt at 1024 Hz on ISA IRQ 8, through ports 0x70-0x71.
 */
#include "arch/ioport.h"
#include "ktest_alarm.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA  0x71
#define RTC_A      0x0a
#define RTC_B      0x0b
#define RTC_C      0x0c
#define RTC_PIE    0x40 /* register B: periodic interrupt enable */
#define RTC_IRQF   0x80 /* register C: an interrupt is asserted (reading C clears it) */

static uint8_t cmos_read(uint8_t reg)
{
    arch_port_out(CMOS_INDEX, 1, reg);
    return (uint8_t)arch_port_in(CMOS_DATA, 1);
}

static void cmos_write(uint8_t reg, uint8_t v)
{
    arch_port_out(CMOS_INDEX, 1, reg);
    arch_port_out(CMOS_DATA, 1, v);
}

static bool rtc_setup(void)
{
    return true; /* the ports need no mapping */
}

static void rtc_quiet(void)
{
    cmos_write(RTC_B, (uint8_t)(cmos_read(RTC_B) & ~RTC_PIE));
    (void)cmos_read(RTC_C);
}

static void rtc_arm(void)
{
    (void)cmos_read(RTC_C);
    cmos_write(RTC_A, (uint8_t)((cmos_read(RTC_A) & 0xf0) | 6)); /* 1024 Hz */
    cmos_write(RTC_B, (uint8_t)(cmos_read(RTC_B) | RTC_PIE));
}

static bool rtc_raised(void)
{
    return cmos_read(RTC_C) & RTC_IRQF;
}

const struct ktest_alarm ktest_alarm = {"the CMOS RTC", 8,       rtc_setup,
                                        rtc_quiet,      rtc_arm, rtc_raised};
