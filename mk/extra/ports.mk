# The in-guest checks of the other architectures' partial ports (decision 125):
# make check, whatever ARCH it builds, also runs each of them once, at the
# default cluster order (their check-guest: the port's ARCH_GUEST_CHECKS).
#
#   make check-ports   run them

CHECK_PORTS := $(filter-out $(ARCH),aarch64 riscv64)

.PHONY: check-ports
check-ports:
	@$(foreach a,$(CHECK_PORTS),$(MAKE) --no-print-directory ARCH=$(a) check-guest RESULTS=$(RESULTS) &&) true

CHECK_TARGETS += check-ports
EXTRA_HELP += "check-ports    the in-guest checks of partial ports (aarch64, riscv64; in make check)"
