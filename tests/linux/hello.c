/* The smallest check: stdout through the personality, and exit status 0. */
#include <stdio.h>

int main(void)
{
    printf("hello from a static Linux program\n");
    return 0;
}
