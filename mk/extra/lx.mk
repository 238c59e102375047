# The Linux personality (docs/linux.md): the fuzzer of its executable parser.
FUZZERS += elf_lx
FUZZ_SRCS_elf_lx   := user/lx/lxelf.c
FUZZ_CFLAGS_elf_lx := -Iuser/lx
.PHONY: fuzz-elf_lx
fuzz-elf_lx: build/fuzz/fuzz_elf_lx
	@mkdir -p build/fuzz/corpus-elf_lx
	$< -max_total_time=$(FUZZ_SECONDS) -max_len=4096 build/fuzz/corpus-elf_lx tests/fuzz/seeds-elf_lx
fuzz-smoke: build/fuzz/fuzz_elf_lx
