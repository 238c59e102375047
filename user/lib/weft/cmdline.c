/* The kernel command line's words (wf/cmdline.h). */
#include "wf/cmdline.h"

#include <string.h>

const char *wf_cmdline_get(const char *cmdline, const char *key, char *buf, size_t n)
{
    size_t klen = strlen(key);
    for (const char *p = cmdline; *p;) {
        while (*p == ' ')
            p++;
        const char *end = p;
        while (*end && *end != ' ')
            end++;
        if ((size_t)(end - p) >= klen && !strncmp(p, key, klen) &&
            (p + klen == end || p[klen] == '=')) {
            const char *v = p + klen == end ? end : p + klen + 1;
            size_t len = (size_t)(end - v) < n - 1 ? (size_t)(end - v) : n - 1;
            memcpy(buf, v, len);
            buf[len] = 0;
            return buf;
        }
        p = end;
    }
    return NULL;
}
