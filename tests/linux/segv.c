/* A process that faults: Linux ends it with SIGSEGV, and so must lx (lx
 * itself goes on to the next program). */
#include <stdio.h>

int main(void)
{
    printf("about to write through a null pointer\n");
    fflush(stdout);
    *(volatile int *)0 = 1;
    printf("still alive: FAIL\n");
    return 0;
}
