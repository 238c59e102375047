# The CPIO newc reader shared by the kernel and init (kernel/lib/cpio.c).
HOST_TESTS += cpio
HOST_SRCS_cpio := kernel/lib/cpio.c
HOST_DEPS_cpio := tools/mkcpio.py
HOST_ORDERS_cpio := 0 4
