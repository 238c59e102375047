/*
 * storm: many system calls with arbitrary numbers and arguments (from a
 * fixed-seed generator): small numbers, pointers into a scratch page, near
 * and past the ends of the user half, all-ones. The server must answer every
 * one and keep serving; the program checks at the end that it still gets
 * sensible answers. Numbers that would end the program, block it, change its
 * memory map, its thread pointer or descriptors 0-2, or write to the console
 * are left out. lx runs it (a "weft-only" line of lx.rc): on Linux the same
 * calls would act on a real system.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static uint64_t state = 0x2545f4914f6cdd1dull;

static uint64_t next(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static const int skip[] = {0,   1,   3,   7,   9,   10,  11,  12,  15,  17,  19,
                           20,  23,  25,  28,  32,  33,  34,  35,  43,  44,  45,
                           56,  57,  58,  59,  60,  62,  128, 130, 158, 200, 202,
                           230, 231, 232, 234, 270, 271, 281, 288, 292, 318, 435};

static int skipped(long nr)
{
    for (unsigned i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
        if (skip[i] == nr)
            return 1;
    return 0;
}

int main(void)
{
    static char scratch[8192];
    long calls = 0, negative = 0;
    for (int i = 0; i < 20000; i++) {
        long nr = (long)(next() % 460);
        if (skipped(nr))
            continue;
        long a[6];
        for (int k = 0; k < 6; k++) {
            uint64_t r = next();
            switch (r % 6) {
            case 0:
                a[k] = (long)(r >> 8) % 64;
                break;
            case 1:
                a[k] = (long)(scratch + (r >> 8) % (sizeof(scratch) / 2));
                break;
            case 2:
                a[k] = (long)(0x00007ffffffff000ull - (r >> 8) % 8192);
                break;
            case 3:
                a[k] = (long)0xffff800000000000ull;
                break;
            case 4:
                a[k] = -1;
                break;
            default:
                a[k] = (long)(r >> 3);
                break;
            }
        }
        /* Descriptors 0-2 stay the console. */
        if ((nr == 3 || nr == 33 || nr == 292) && a[0] < 3)
            continue;
        long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        calls++;
        negative += r == -1;
    }
    char name[65] = {0};
    int ok = syscall(SYS_getppid) == 1 && syscall(SYS_uname, scratch) == 0;
    memcpy(name, scratch, 64);
    printf("storm: %ld calls, %s errors; after them getppid and uname: %s (%s)\n", calls,
           negative ? "some" : "no", ok ? "ok" : "FAIL", name);
    return ok ? 0 : 1;
}
