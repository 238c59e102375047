# riscv64's page-table entries (kernel/arch/riscv64/include/arch/pt.h) under the
# generic walker (kernel/mm/pt.c, included by the test in place of the host's
# x86-64 entry format): the PPN at bit 10, the leaf bits, megapages, and
# Svnapot groups made, split and looked up.
HOST_TESTS += rvpt
HOST_CFLAGS_rvpt := -idirafter kernel/arch/riscv64/include
HOST_DEPS_rvpt := kernel/mm/pt.c $(wildcard kernel/arch/riscv64/include/arch/*.h)
