/*
 * Deleting and revoking caps, and destroying the objects whose last cap goes.
 *
 * Deleting the last cap to a CNode or TCB first deletes every cap the object
 * holds, which may be the last cap to another CNode, and so on: unbounded work
 * and, done naively, unbounded recursion. Weft does it in O(1) units with
 * preemption points, no recursion, and all progress recorded in the objects
 * (zombies), so that an interrupted Delete or Revoke continues when the kernel
 * re-executes it. The design essay is at the top of kernel/cap/delete.c.
 *
 * A reaper holds the objects under destruction that one thread's deletions have
 * started but not finished (a ring of element zombies). Every thread has one in
 * its TCB; host tests make their own.
 */
#ifndef WEFT_CAP_DELETE_H
#define WEFT_CAP_DELETE_H

#include "cap/cap.h"
#include "weft/errors.h"

struct reaper {
    struct slot sentinel; /* ring anchor: a SENTINEL zombie, never in the CDT */
};

/* Makes r an empty reaper. */
void reaper_init(struct reaper *r);

/* True when r has no destruction pending. */
bool reaper_is_empty(const struct reaper *r);

/* Moves the pending work of dying (the reaper of a TCB being destroyed) into r,
 * or, when r is dying itself or NULL, leaves that work without an owner: it is
 * then finished when the memory holding it is revoked. dying is dead afterwards:
 * work that would go to it has no owner either. O(1). */
void reaper_adopt(struct reaper *r, struct reaper *dying);

/* Finishes the destructions pending in r (NULL: none). Returns WF_ERR_OK when
 * none is left, WF_ERR_PREEMPTED when the work budget ran out first. */
enum wf_error reaper_drain(struct reaper *r);

/* Deletes the cap in slot s (an empty slot is fine): when it is the last cap to
 * its object, destroys the object, and for a CNode or TCB every cap it holds,
 * transitively. Then finishes r's pending work. Returns WF_ERR_OK when all is
 * done, WF_ERR_PREEMPTED when the work budget ran out; the caller repeats the
 * call (with the same slot and reaper) until it returns WF_ERR_OK. Meanwhile s
 * may hold a zombie, which nothing but deletion can use. */
enum wf_error cap_delete(struct slot *s, struct reaper *r);

/* Deletes every descendant of the cap in slot s, wherever it is, as cap_delete
 * deletes one cap; s keeps its cap. Same return and restart contract. */
enum wf_error cap_revoke(struct slot *s, struct reaper *r);

/* Deletes the cap in s at once: O(1), for a cap that is not the last cap to a
 * CNode or TCB (the caller knows: a notification cap, for instance). */
void cap_delete_now(struct slot *s);

#endif
