# The network benchmark (docs/perf/network.md, decision 158): Weft's nbench
# (user/nbench, a client of net over vnet) and the Linux guest's bench/linux/net.c
# (Debian's cloud kernel with virtio_net from the same .deb), each on QEMU's user
# network (restrict=on, one forward from 127.0.0.1 to the guest's port 5001), in
# the same QEMU with the same flags (-machine pc -cpu max -smp 1, -icount
# shift=0,sleep=off, -m 1G). tools/netbench.py boots the guest and plays the
# host's side: bulk receive and send, request/response, new connections, idle
# connections' memory.
#
#   make bench-net         Weft, the full benchmark (64 MiB, 2,000 transactions, 500
#                          connections, 3 runs each): bench/results/net-x86_64.json
#   make bench-linux-net   the Linux guest, the same: bench/results/linux-net-x86_64.json
#   make figures-net       the quick variant (4 MiB, 200 transactions, 50 connections)
#                          into build/figures/net-quick-x86_64.json, which check-figures
#                          compares with bench/results/net-quick-x86_64.json
#   make check-netbench    the host script's checks on canned logs and the Linux guest's
#                          program built with -Werror (no QEMU; in make check)

nb_comma := ,
NBENCH_QEMU    = $(QEMU) $(QEMU_BASE) $(QEMU_TEST_DEV) $(QEMU_ICOUNT) -serial stdio -monitor none -m 1G
NBENCH_APPEND := init.run=nbench
NBENCH_FULL   := mib=64 runs=3 trans=2000 conns=500 idle=24
NBENCH_QUICK  := mib=4 runs=3 trans=200 conns=50 idle=24
NBENCH_ORDERS := 4
NBENCH_BOOTS   = $(foreach o,$(NBENCH_ORDERS),--boot "c$(o)|max|build/$(ARCH)-c$(o)/weft.elf|build/$(ARCH)-c$(o)/initramfs.cpio|$(NBENCH_APPEND)")

.PHONY: bench-net figures-net nbench-images bench-linux-net check-netbench
nbench-images: $(DEPS_STAMP)
	@$(foreach o,$(NBENCH_ORDERS),$(MAKE) --no-print-directory kernel initramfs CLUSTER_ORDER=$(o) >/dev/null &&) true

bench-net: nbench-images
	@mkdir -p bench/results
	$(PYTHON) tools/netbench.py --qemu "$(NBENCH_QEMU)" --params "$(NBENCH_FULL)" \
	    --log-dir build/nbench --json bench/results/net-$(ARCH).json $(NBENCH_BOOTS)

figures-net: nbench-images
	@mkdir -p $(FIGURES_DIR)
	@$(PYTHON) tools/netbench.py --quiet --qemu "$(NBENCH_QEMU)" --params "$(NBENCH_QUICK)" \
	    --log-dir build/nbench --json $(FIGURES_DIR)/net-quick-$(ARCH).json $(NBENCH_BOOTS)

# The Linux guest: /init loads virtio_net and what it depends on (taken out of the
# same .deb as bench-linux-storage's virtio_blk), then runs /bench/net, which sets
# the interface up (10.0.2.15/24, what QEMU's DHCP would give) and serves the host.
# idle=poll as the storage boot: the guest waits for the host, and its idle time
# (/proc/timer_list) is taken out of every figure.
LINUX_NET_MODULES := virtio_pci virtio_net
LINUX_NET_CPIO    := $(LINUX_DIR)/initramfs-net.cpio
LINUX_NET_CMDLINE := $(LINUX_CMDLINE) idle=poll

bench-linux-net: bench-linux-kernel $(LINUX_DIR)/bin/init $(LINUX_DIR)/bin/net tools/mkcpio.py | $(DEPS_STAMP)
	@tools/linux-guest.sh --dir $(LINUX_DIR) --modules "$(LINUX_NET_MODULES)" >/dev/null
	@printf 'net\n' > $(LINUX_DIR)/net-list
	@$(PYTHON) tools/mkcpio.py -o $(LINUX_NET_CPIO) init=$(LINUX_DIR)/bin/init \
	    bench/net=$(LINUX_DIR)/bin/net bench/list=$(LINUX_DIR)/net-list \
	    lib/modules/order=$(LINUX_DIR)/modules/order \
	    $$(sed 's|.*|lib/modules/&.ko=$(LINUX_DIR)/modules/&.ko|' $(LINUX_DIR)/modules/order)
	@mkdir -p bench/results
	$(PYTHON) tools/netbench.py --qemu "$(LINUX_QEMU)" --params "$(NBENCH_FULL)" \
	    --log-dir $(LINUX_DIR) --json bench/results/linux-net-$(ARCH).json \
	    $(foreach c,$(LINUX_CPUS),--boot "linux-$(subst $(nb_comma),-,$(subst =,-,$(c)))|$(c)|$(LINUX_DIR)/vmlinuz|$(LINUX_NET_CPIO)|$(LINUX_NET_CMDLINE)")

# The Linux program builds with nbench's shared part (user/benchlib/netbench.h).
$(LINUX_DIR)/bin/net: user/benchlib/netbench.h

check-netbench: $(LINUX_DIR)/bin/net | $(DEPS_STAMP)
	@$(PYTHON) tools/netbench.py --self-test

BENCH_TARGETS += bench-net bench-linux-net
CHECK_TARGETS += check-netbench
figures-fresh: figures-net
EXTRA_HELP += "bench-net      Weft's sockets through net and vnet: bulk TCP, request/response, connections (docs/perf/network.md)"
EXTRA_HELP += "bench-linux-net  the Linux guest (virtio_net) doing the same, the host driving both"
EXTRA_HELP += "figures-net    the network benchmark's quick variant, which check-figures re-runs and compares"
EXTRA_HELP += "check-netbench the network benchmark's host script judges canned logs (in make check)"
