/*
 * The irq self-tests' device interrupt on riscv64 (ktest_alarm.h): QEMU
 * virt's Goldfish RTC at 0x00101000, its alarm on PLIC source 11 (line n is
 * source n + 1; level high). The clock counts nanoseconds; reading TIME_LOW
 * latches TIME_HIGH. The alarm is set 1 ms ahead.
 */
#include "arch.h"
#include "config.h"
#include "arch/riscv.h"
#include "ktest_alarm.h"

#define GOLDFISH_PA          0x00101000ull
#define GOLDFISH_TIME_LOW    0x00
#define GOLDFISH_TIME_HIGH   0x04
#define GOLDFISH_ALARM_LOW   0x08
#define GOLDFISH_ALARM_HIGH  0x0c
#define GOLDFISH_IRQ_ENABLED 0x10
#define GOLDFISH_ALARM_RUN   0x18 /* ALARM_STATUS: an alarm is pending */
#define GOLDFISH_CLEAR_IRQ   0x1c

static volatile void *rtc;

static uint64_t goldfish_now(void)
{
    uint64_t lo = mmio_read32(rtc, GOLDFISH_TIME_LOW);
    return lo | (uint64_t)mmio_read32(rtc, GOLDFISH_TIME_HIGH) << 32;
}

/* The clock counts the host's time since 1970: never 0 where the device answers. */
static bool goldfish_setup(void)
{
    if (!rtc)
        rtc = arch_mmio_map(GOLDFISH_PA, PAGE_SIZE);
    return goldfish_now() != 0;
}

static void goldfish_quiet(void)
{
    mmio_write32(rtc, GOLDFISH_IRQ_ENABLED, 0);
    mmio_write32(rtc, GOLDFISH_CLEAR_IRQ, 1);
}

static void goldfish_arm(void)
{
    goldfish_quiet();
    uint64_t when = goldfish_now() + 1000000;
    mmio_write32(rtc, GOLDFISH_IRQ_ENABLED, 1);
    mmio_write32(rtc, GOLDFISH_ALARM_HIGH, (uint32_t)(when >> 32));
    mmio_write32(rtc, GOLDFISH_ALARM_LOW, (uint32_t)when); /* this write sets it */
}

static bool goldfish_raised(void)
{
    return mmio_read32(rtc, GOLDFISH_IRQ_ENABLED) && !(mmio_read32(rtc, GOLDFISH_ALARM_RUN) & 1);
}

const struct ktest_alarm ktest_alarm = {"the Goldfish RTC", 10,           goldfish_setup,
                                        goldfish_quiet,     goldfish_arm, goldfish_raised};
