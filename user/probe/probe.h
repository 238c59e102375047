/*
 * The probe's protocol (user/probe/main.c): what the shell (user/shell/) sends
 * it. Every message is a Call on the endpoint in the probe's slot
 * PROBE_SLOT_EP; the probe prints what it got, then replies (label 0, or an
 * enum wf_error), so the probe's line is on the console before the shell's
 * next prompt.
 */
#ifndef PROBE_H
#define PROBE_H

#define PROBE_SLOT_EP    16  /* the endpoint it receives on (Read) */
#define PROBE_SLOT_REPLY 17  /* its Reply object (made from its pool) */
#define PROBE_SLOT_CAPS  20  /* caps it receives are moved here and above */
#define PROBE_SLOT_RECV  120 /* where a received cap lands first (below the C library's half) */

#define PROBE_VALUE 0x700 /* w[0]: a word; prints "probe: got value V" */
#define PROBE_CAP   0x701 /* one cap: "probe: got cap type T in slot S" */
#define PROBE_CHECK 0x702 /* w[0]: a slot; "probe: slot S holds type T" / "... is empty" */
#define PROBE_PING  0x703 /* nothing printed: the reply at once (the shell's bench) */
#define PROBE_EXIT  0x704 /* w[0]: exit status; the probe exits without replying */

#endif
