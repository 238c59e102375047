/* The shell's type names and formatter (user/shell/text.c), linked into the
 * probe too so that both print a cap's type the same way. */
#include "../shell/text.c"
