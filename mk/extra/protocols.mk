# Server protocols (tools/protogen.py; docs/protocols.md): abi/protocols/*.proto
# (and abi/protocols/test/*.proto) are the one spec of each protocol; the client
# stubs, dispatch functions and docs/protocols.md are generated from them and
# committed.
#
#   make protocols         regenerate them
#   make protocols-check   run the generator's self-test (its output for a tiny
#                          spec; broken specs refused, naming their line), then
#                          regenerate into a temporary folder and fail if any
#                          committed file differs; part of make check

PROTO_GEN     := tools/protogen.py
PROTO_SPECS   := $(sort $(wildcard abi/protocols/*.proto abi/protocols/test/*.proto))
PROTO_OUTPUTS := $(shell $(PYTHON) $(PROTO_GEN) --list 2>/dev/null)

# The build regenerates them when a spec, the generator or the ABI spec changes.
ifneq ($(PROTO_OUTPUTS),)
$(PROTO_OUTPUTS) &: $(PROTO_SPECS) $(PROTO_GEN) $(ABI_SPEC) $(ABI_GEN)
	@echo "  PROTOGEN abi/protocols"
	@$(PYTHON) $(PROTO_GEN) --out .
endif

.PHONY: protocols protocols-check
protocols:
	@echo "  PROTOGEN abi/protocols"
	@$(PYTHON) $(PROTO_GEN) --out .

protocols-check:
	@$(PYTHON) $(PROTO_GEN) --self-test
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(PYTHON) $(PROTO_GEN) --out "$$tmp" && \
	stale=$$(for f in $$($(PYTHON) $(PROTO_GEN) --list); do \
	    cmp -s "$$tmp/$$f" "$$f" || echo "$$f"; done) && \
	if [ -n "$$stale" ]; then echo "protocols-check: generated files differ from abi/protocols (run 'make protocols'):"; \
	    echo "$$stale" | sed 's/^/  /'; exit 1; fi; \
	echo "protocols-check: $(words $(PROTO_OUTPUTS)) generated files match $(words $(PROTO_SPECS)) specs"

CHECK_TARGETS += protocols-check
EXTRA_HELP += "protocols      regenerate server protocol stubs, dispatch, docs/protocols.md (abi/protocols)"

# The cost of a protocol call (decision 112): the in-guest proto/call_cost test under
# -icount shift=0 (rdtsc counts guest instructions), for this CLUSTER_ORDER.
.PHONY: bench-proto
bench-proto: $(KERNEL) $(INITRAMFS) $(DEPS_STAMP)
	@out=$$($(QEMU) $(QEMU_BASE) $(QEMU_TEST_DEV) -icount shift=0,sleep=off $(QEMU_SERIAL) \
	    -kernel $(KERNEL) -initrd $(INITRAMFS) -m 256M -append "init=utest utest=proto/call_cost" \
	    </dev/null | tr -d '\r'); echo "$$out" | grep -a -E '^# proto:|^(not )?ok'; \
	echo "$$out" | grep -q '^ok 1 - proto/call_cost'
EXTRA_HELP += "bench-proto    instructions of a protocol call vs a raw wf_call (-icount; decision 112)"
