# libFuzzer targets for parsers of untrusted input (tests/fuzz/fuzz_NAME.c).
#   make fuzz-NAME FUZZ_SECONDS=600     run one fuzzer
#   make fuzz-smoke                     every fuzzer for a few seconds (part of check)
FUZZERS      := acpi bootinfo cpio elf
FUZZ_SECONDS ?= 10
FUZZ_SRCS_acpi     := kernel/genarch/acpi.c
FUZZ_SRCS_bootinfo := kernel/arch/x86_64/boot/bootinfo.c kernel/core/bootmem.c
FUZZ_SRCS_cpio     := kernel/lib/cpio.c
FUZZ_SRCS_elf      := kernel/lib/elf.c

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(HOST_SHIM) $(HOST_HDRS) $$(FUZZ_SRCS_$$*)
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $@"
	@$(HOST_CC) $(filter-out -fsanitize=%,$(HOST_CFLAGS)) -fsanitize=fuzzer,address,undefined \
	    -DCLUSTER_ORDER=4 -o $@ $< $(FUZZ_SRCS_$*) $(HOST_SHIM)

.PHONY: fuzz-smoke $(addprefix fuzz-,$(FUZZERS))
$(addprefix fuzz-,$(FUZZERS)): fuzz-%: build/fuzz/fuzz_%
	@mkdir -p build/fuzz/corpus-$*
	$< -max_total_time=$(FUZZ_SECONDS) -max_len=4096 build/fuzz/corpus-$* tests/fuzz/seeds-$*

fuzz-smoke: $(addprefix build/fuzz/fuzz_,$(FUZZERS))
	@set -e; for f in $(FUZZERS); do mkdir -p build/fuzz/corpus-$$f; \
	    build/fuzz/fuzz_$$f -max_total_time=5 -max_len=4096 build/fuzz/corpus-$$f tests/fuzz/seeds-$$f \
	        2>build/fuzz/$$f.log || { tail -40 build/fuzz/$$f.log; exit 1; }; \
	    echo "fuzz-$$f: $$(grep -c . build/fuzz/corpus-$$f/* 2>/dev/null | wc -l) corpus inputs, no crash"; done
CHECK_TARGETS += fuzz-smoke
EXTRA_HELP += "fuzz-NAME      run a libFuzzer target (FUZZERS: $(FUZZERS)) for FUZZ_SECONDS"
