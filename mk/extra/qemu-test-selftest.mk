# Self-tests of tools/qemu-test, the in-guest TAP harness (stdlib Python only).
.PHONY: check-tools
check-tools:
	$(PYTHON) -m unittest discover -s tests/tools -v

CHECK_TARGETS += check-tools
EXTRA_HELP += "check-tools    self-tests of tools/qemu-test"
