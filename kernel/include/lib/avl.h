/*
 * An intrusive AVL tree keyed by a 64-bit integer (Adelson-Velsky and Landis,
 * 1962). The node lives inside the record it orders (no allocation anywhere);
 * the caller sets node->key before inserting and does not change it while the
 * node is in a tree. Keys are unique within a tree. Every operation is
 * O(log n): the heights of a node's two subtrees differ by at most one.
 *
 * Used for the regions of a VSpace, keyed by start address (kernel/obj/vspace.c),
 * where the fault path asks for the last region starting at or below an address
 * (avl_floor).
 */
#ifndef WEFT_LIB_AVL_H
#define WEFT_LIB_AVL_H

#include "types.h"

struct avl_node {
    struct avl_node *left, *right, *parent;
    uint64_t key;
    int height; /* of the subtree rooted here: 1 for a leaf */
};

struct avl_tree {
    struct avl_node *root; /* NULL: empty */
};

/* Inserts n (its key set, unique in t). O(log n). */
void avl_insert(struct avl_tree *t, struct avl_node *n);

/* Removes n, which is in t. O(log n). */
void avl_remove(struct avl_tree *t, struct avl_node *n);

/* The node with the largest key at or below key, or NULL. O(log n). */
static inline struct avl_node *avl_floor(const struct avl_tree *t, uint64_t key)
{
    struct avl_node *best = NULL;
    for (struct avl_node *n = t->root; n;) {
        if (n->key <= key) {
            best = n;
            n = n->right;
        } else {
            n = n->left;
        }
    }
    return best;
}

#endif
