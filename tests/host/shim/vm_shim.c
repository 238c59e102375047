/*
 * Host stand-in for the VM system's interface (mm/vm.h) as the capability host
 * tests need it: no VSpace objects exist there, so no cap names one. Weak, so a
 * host build that links the real VM code gets that instead.
 */
#include "mm/vm.h"

__attribute__((weak)) struct vspace *vspace_from_cap(struct cap c)
{
    (void)c;
    return NULL;
}
