# The Linux personality's executable parser and initial stack (user/lx/lxelf.c).
HOST_TESTS += elf_lx
HOST_SRCS_elf_lx := user/lx/lxelf.c
HOST_CFLAGS_elf_lx := -Iuser/lx
