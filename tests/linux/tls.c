/*
 * Thread-local storage: musl sets the FS base with arch_prctl(ARCH_SET_FS);
 * __thread variables with and without initialisers, errno (itself
 * thread-local), and ARCH_GET_FS agreeing with the thread pointer.
 */
#define ARCH_GET_FS 0x1003 /* asm/prctl.h: not among musl's headers */
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static __thread int counter = 41;
static __thread char zeroed[64];
static __thread long big[100] = {[99] = 12345};

int main(void)
{
    counter++;
    zeroed[63] = 'z';
    unsigned long fs = 0, self;
    __asm__("mov %%fs:0, %0" : "=r"(self));
    long r = syscall(SYS_arch_prctl, ARCH_GET_FS, &fs);
    errno = 0;
    close(-1);
    printf("counter %d, zeroed[0] %d, zeroed[63] %c, big[99] %ld\n", counter, zeroed[0], zeroed[63],
           big[99]);
    printf("errno after close(-1): %s\n", errno == EBADF ? "EBADF" : "wrong");
    printf("ARCH_GET_FS: %s\n", r == 0 && fs == self && fs != 0 ? "the thread pointer" : "wrong");
    return counter == 42 && big[99] == 12345 ? 0 : 1;
}
