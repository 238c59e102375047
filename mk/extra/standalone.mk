# The repository stands alone (tools/check-standalone): no tracked file may point
# at notes outside it or at an issue tracker; the design lives in docs/.
#
#   make check-standalone   the guard's self-test, then the scan; part of make check

.PHONY: check-standalone
check-standalone:
	@tools/check-standalone --self-test
	@tools/check-standalone

CHECK_TARGETS += check-standalone
EXTRA_HELP += "check-standalone  fail if a tracked file points outside the repository (in make check)"
