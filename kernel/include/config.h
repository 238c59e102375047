/*
 * Build configuration: the MMU page and the cluster (docs/architecture.md, Memory).
 *
 * The MMU page is what the hardware translates and what userspace sees. The
 * cluster is the kernel's allocation unit: 2^CLUSTER_ORDER MMU pages, chosen at
 * build time (make CLUSTER_ORDER=N). CLUSTER_ORDER=0 is the unclustered baseline.
 */
#ifndef WEFT_CONFIG_H
#define WEFT_CONFIG_H

#ifndef CLUSTER_ORDER
#error "CLUSTER_ORDER must be defined by the build (make CLUSTER_ORDER=0..6)"
#endif
#if CLUSTER_ORDER < 0 || CLUSTER_ORDER > 6
#error "CLUSTER_ORDER must be between 0 and 6"
#endif

#define PAGE_SHIFT    12
#define PAGE_SIZE     (1ull << PAGE_SHIFT)
#define CLUSTER_SHIFT (PAGE_SHIFT + CLUSTER_ORDER)
#define CLUSTER_SIZE  (1ull << CLUSTER_SHIFT)
#define CLUSTER_PAGES (1ull << CLUSTER_ORDER)

#endif
