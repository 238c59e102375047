# The string functions of the kernel and the user C library against the host C library's.
HOST_TESTS += ulibc
HOST_SRCS_ulibc := kernel/lib/string.c
HOST_CFLAGS_ulibc := '-DWF_LIBC_NAME(n)=wfc_\#\#n' -fno-builtin
HOST_ORDERS_ulibc := 0 4
