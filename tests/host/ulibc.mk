# The user C library's string functions against the host C library's.
HOST_TESTS += ulibc
HOST_SRCS_ulibc := user/lib/c/string.c
HOST_CFLAGS_ulibc := '-DWF_LIBC_NAME(n)=wfc_\#\#n' -fno-builtin
HOST_ORDERS_ulibc := 0 4
