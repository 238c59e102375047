# The in-guest fuzzer (user/test/t_fuzz.c) alone, for longer than make check
# runs it (docs/fuzzing.md):
#   make fuzz-guest N=10000000 [SEED=0x...] [CLUSTER_ORDER=0]
# N (default 1,000,000) and SEED reach the test through the kernel command line
# (fuzz.n=, fuzz.seed=); the harness's timeout grows with N. The error
# histogram is printed at the end and kept in $(BUILD)/fuzz-guest.log.
FUZZ_GUEST_N       = $(or $(N),1000000)
FUZZ_GUEST_TIMEOUT = $(shell echo $$((300 + $(FUZZ_GUEST_N) / 1000)))

.PHONY: fuzz-guest
fuzz-guest: $(KERNEL) $(INITRAMFS) $(DEPS_STAMP)
	@tools/qemu-test --name $(ARCH)-c$(CLUSTER_ORDER)-fuzz-guest --log $(BUILD)/fuzz-guest.log \
	    --timeout $(FUZZ_GUEST_TIMEOUT) --exit-code 1 -- $(QEMU_TESTK) -m 256M \
	    -append "init=utest utest=fuzz/ fuzz.n=$(FUZZ_GUEST_N)$(if $(SEED), fuzz.seed=$(SEED))"; \
	    rc=$$?; grep '^# fuzz' $(BUILD)/fuzz-guest.log; exit $$rc
EXTRA_HELP += "fuzz-guest     the in-guest fuzzer alone for N calls (default 1000000; SEED=)"
