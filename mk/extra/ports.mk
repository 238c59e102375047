# The in-guest checks of the other architectures' ports (decision 125):
# make check, whatever ARCH it builds, also runs each of them at both cluster
# orders, the default (4) and the unclustered 0, as every test runs
# (docs/testing.md; docs/porting.md, "Tests a port must pass"): the port's
# ARCH_GUEST_CHECKS through check-port-guest below, in a make of its own for
# each ARCH and CLUSTER_ORDER.
#
#   make check-ports   run them
#
# Checks whose outcome does not depend on the cluster order are run once, at
# the default order (decision 145): a port's makefile lists such targets in
# PORT_ANY_ORDER_CHECKS and reads PORT_OTHER_ORDER (set for the second order)
# to leave out such boots inside a target (aarch64: the deliberate kernel
# faults, which stop the kernel before any allocation; the production boot
# without a root task; the self-test boots that exist for the entry at EL2,
# the GICv3 and PAN rather than for memory). A port that lists none runs
# everything at both orders. riscv64's makefile lists none yet; its are named
# here (PORT_ANY_ORDER_CHECKS_riscv64): the deliberate faults, the malformed
# device tree (refused before memory is set up) and the production boot.
PORT_ANY_ORDER_CHECKS_riscv64 := check-guest-riscv64-boot check-guest-riscv64-faults \
                                 check-guest-riscv64-badtree

CHECK_PORTS := $(filter-out $(ARCH),aarch64 riscv64)
CHECK_PORT_ORDERS := 4 0

.PHONY: check-ports check-port-guest
check-ports:
	@$(foreach a,$(CHECK_PORTS),$(foreach o,$(CHECK_PORT_ORDERS),$(MAKE) --no-print-directory \
	    ARCH=$(a) CLUSTER_ORDER=$(o) $(if $(filter-out $(firstword $(CHECK_PORT_ORDERS)),$(o)),PORT_OTHER_ORDER=1) \
	    check-port-guest RESULTS=$(RESULTS) &&)) true

# In the port's own make (ARCH=port): its guest checks, less those that need
# not run again at the second order.
PORT_SKIP_AT_OTHER_ORDER = $(PORT_ANY_ORDER_CHECKS) $(PORT_ANY_ORDER_CHECKS_$(ARCH))
check-port-guest: $$(if $$(PORT_OTHER_ORDER),$$(filter-out $$(PORT_SKIP_AT_OTHER_ORDER),$$(ARCH_GUEST_CHECKS)),$$(ARCH_GUEST_CHECKS))

CHECK_TARGETS += check-ports
EXTRA_HELP += "check-ports    the in-guest checks of the other ports (aarch64, riscv64) at CLUSTER_ORDER=4 and 0 (in make check)"
