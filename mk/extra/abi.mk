# The ABI generator (tools/abigen.py): abi/weft.def is the one spec of syscall
# numbers, errors, object types and invocations; the files below are generated
# from it and committed.
#
#   make abi         regenerate them
#   make abi-check   run the generator's self-test (broken specs are refused), then
#                    regenerate into a temporary folder and fail if any committed
#                    file differs (stale output, or a hand edit); part of make check

ABI_SPEC    := abi/weft.def
ABI_GEN     := tools/abigen.py
ABI_OUTPUTS := $(shell $(PYTHON) $(ABI_GEN) --spec $(ABI_SPEC) --list 2>/dev/null)

# One run writes every output; the build regenerates them when the spec or the
# generator changes, before anything that includes them is compiled.
ifneq ($(ABI_OUTPUTS),)
$(ABI_OUTPUTS) &: $(ABI_SPEC) $(ABI_GEN)
	@echo "  ABIGEN  $(ABI_SPEC)"
	@$(PYTHON) $(ABI_GEN) --spec $(ABI_SPEC) --out .
endif

.PHONY: abi abi-check
abi:
	@echo "  ABIGEN  $(ABI_SPEC)"
	@$(PYTHON) $(ABI_GEN) --spec $(ABI_SPEC) --out .

abi-check:
	@$(PYTHON) $(ABI_GEN) --self-test
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(PYTHON) $(ABI_GEN) --spec $(ABI_SPEC) --out "$$tmp" && \
	stale=$$(for f in $$($(PYTHON) $(ABI_GEN) --spec $(ABI_SPEC) --list); do \
	    cmp -s "$$tmp/$$f" "$$f" || echo "$$f"; done) && \
	if [ -n "$$stale" ]; then echo "abi-check: generated files differ from abi/weft.def (run 'make abi'):"; \
	    echo "$$stale" | sed 's/^/  /'; exit 1; fi; \
	echo "abi-check: $(words $(ABI_OUTPUTS)) generated files match $(ABI_SPEC)"

CHECK_TARGETS += abi-check
EXTRA_HELP += "abi            regenerate ABI headers, decode tables, docs/api.md"
