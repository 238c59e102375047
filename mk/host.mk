# Host unit tests (tests/host/, Criterion, ASan + UBSan).
#
# A test tests/host/test_NAME.c is declared by a fragment tests/host/NAME.mk:
#   HOST_TESTS        += NAME
#   HOST_SRCS_NAME    := kernel sources it links (compiled for the host)
#   HOST_ORDERS_NAME  := CLUSTER_ORDERs to build it for (default: 4)
# Shared stand-ins for kernel services on the host live in tests/host/shim/.

HOST_CC     := clang
HOST_CFLAGS := -std=gnu17 -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
               -fno-omit-frame-pointer -Wall -Wextra -Werror -Wno-unused-parameter \
               -Itests/host/shim -Ikernel/include -Ikernel/arch/$(ARCH)/include -Iabi/include \
               -DWEFT_DEBUG=1 -DWEFT_HOST=1
HOST_SHIM   := $(sort $(wildcard tests/host/shim/*.c)) kernel/core/kprintf.c kernel/lib/format.c \
               kernel/lib/strlcpy.c kernel/arch/$(ARCH)/ioport.c
HOST_TESTS  :=
HOST_HDRS   = $(shell find kernel abi tests/host -name '*.h')
HOST_BINS   :=

include $(sort $(wildcard tests/host/*.mk))

define host_test_rule
build/host/c$(2)/test_$(1): tests/host/test_$(1).c $$(HOST_SRCS_$(1)) $$(HOST_SHIM) $$(HOST_DEPS_$(1)) $$(HOST_HDRS)
	@mkdir -p $$(dir $$@)
	@echo "  HOSTCC  $$@"
	@$$(HOST_CC) $$(HOST_CFLAGS) $$(HOST_CFLAGS_$(1)) -DCLUSTER_ORDER=$(2) -o $$@ \
	    tests/host/test_$(1).c $$(HOST_SRCS_$(1)) $$(HOST_SHIM) -lcriterion -lm
HOST_BINS += build/host/c$(2)/test_$(1)
endef

$(foreach t,$(HOST_TESTS),$(foreach o,$(or $(HOST_ORDERS_$(t)),4),\
    $(eval $(call host_test_rule,$(t),$(o)))))

.PHONY: check-host
check-host: $(DEPS_STAMP) $(HOST_BINS)
	@set -e; for t in $(HOST_BINS); do \
	    log=$$t.log; \
	    if ! ASAN_OPTIONS=detect_leaks=1 $$t --jobs 2 >$$log 2>&1; then cat $$log; exit 1; fi; \
	    syn=$$(grep 'Synthesis:' $$log | tail -1); echo "$$t: $${syn#*Synthesis: }"; \
	    if [ -n "$(RESULTS)" ]; then echo "$$syn" | awk -v n="host:$${t#build/host/}" \
	        '{for(i=1;i<=NF;i++){if($$i=="Passing:")p=$$(i+1); if($$i=="Failing:")f=$$(i+1); if($$i=="Crashing:")c=$$(i+1)} print n, p, f+c}' >> $(RESULTS); fi; \
	done; echo "host tests: all $(words $(HOST_BINS)) binaries passed"
