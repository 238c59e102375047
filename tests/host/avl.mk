# The intrusive AVL tree of the VSpace regions (kernel/lib/avl.c) against a model.
HOST_TESTS += avl
HOST_SRCS_avl := kernel/lib/avl.c
HOST_ORDERS_avl := 0 4
