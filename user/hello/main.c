/*
 * hello: the smallest program in the initramfs. It prints its start argument
 * and exits with status 0.
 */
#include <stdio.h>

#include "wf/runtime.h"

int main(uintptr_t arg)
{
    printf("hello: started with argument %#llx\n", (unsigned long long)arg);
    return 0;
}
