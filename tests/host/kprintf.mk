HOST_TESTS += kprintf
HOST_SRCS_kprintf :=
HOST_CFLAGS_kprintf := -Wno-format
