# The device-tree reader (kernel/genarch/fdt.c) against trees compiled by dtc from
# tests/dt/*.dts: QEMU's aarch64 and riscv64 virt machines, a made-up board, and
# malformed trees; plus blobs corrupted and hand-built by the test.
HOST_TESTS += fdt
HOST_SRCS_fdt := kernel/genarch/fdt.c
HOST_DEPS_fdt := $(patsubst tests/dt/%.dts,build/dt/%.dtb,$(wildcard tests/dt/*.dts))

build/dt/%.dtb: tests/dt/%.dts
	@mkdir -p $(dir $@)
	@echo "  DTC     $@"
	@dtc -q -I dts -O dtb -o $@ $<
