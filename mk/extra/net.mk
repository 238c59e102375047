# The network server's system test (tests/system/net.py, docs/networking.md):
# boots the production kernel and initramfs with a virtio-net function on
# QEMU's user network (restrict=on, a forward of a free port on 127.0.0.1 to
# the guest's TCP echo on port 7): the server's DHCP lease is 10.0.2.15 with
# gateway 10.0.2.2, three 1 MiB echoes at once come back intact; then a boot
# without the device: the server exits with status 69 and is not restarted.
#
#   make check-net
NET_QEMU := $(QEMU) $(QEMU_BASE) -m $(QEMU_MEM) -serial stdio -monitor none \
            -kernel $(KERNEL) -initrd $(INITRAMFS)

.PHONY: check-net
check-net: $(KERNEL) $(INITRAMFS) $(DEPS_STAMP)
	@$(PYTHON) tests/system/net.py --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-net \
	    --log $(BUILD)/net.log --results $(RESULTS) -- $(NET_QEMU)

# The socket protocol and the shell's network commands (tests/net/sock.py):
# two boots on QEMU's user network, forwards on 127.0.0.1 only; the host's curl
# against the shell's serve, fetch from a Python http.server on the host's
# loopback (10.0.2.2 in the guest), UDP echo both ways, 200 connections at
# once, a fuzz of the protocol, the resolver's error path (restrict=on).
#
#   make check-net-sock
.PHONY: check-net-sock
check-net-sock: $(KERNEL) $(INITRAMFS) $(DEPS_STAMP)
	@$(PYTHON) tests/net/sock.py --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-net-sock \
	    --log $(BUILD)/net-sock.log --results $(RESULTS) -- $(NET_QEMU)

# Malformed frames on the guest's wire (tests/net/frames.py): QEMU's socket
# backend carries each frame as a UDP datagram between ports of 127.0.0.1, the
# test plays DHCP server and gateway and writes frames the stack must refuse
# (bad lengths and checksums, truncated headers, beyond 1,514 bytes, random
# bytes): each is counted in ifconfig's malformed or dropped, and net still
# answers pings, not restarted.
#
#   make check-net-frames
.PHONY: check-net-frames
check-net-frames: $(KERNEL) $(INITRAMFS) $(DEPS_STAMP)
	@$(PYTHON) tests/net/frames.py --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-net-frames \
	    --log $(BUILD)/net-frames.log --results $(RESULTS) -- $(NET_QEMU)

ifeq ($(ARCH),x86_64)
GUEST_CHECKS += check-net check-net-sock check-net-frames
endif
EXTRA_HELP += "check-net      the network server: DHCP lease and TCP echo (tests/system/net.py)"
EXTRA_HELP += "check-net-frames malformed frames through vnet: dropped and counted, net still serving (tests/net/frames.py)"
EXTRA_HELP += "check-net-sock sockets: the shell's serve, fetch, ping, UDP echo, a flood, a fuzz (tests/net/sock.py)"

# Linux programs' sockets (tests/net/lxnet.py, docs/linux.md "Sockets"): the
# production boot with busybox and tests/net/lxnet.sh in its initramfs, on
# QEMU's user network with a forward from a free port of 127.0.0.1 to the
# guest's port 8080; the shell's `linux` runs the script under lx: busybox
# httpd serves /data/www (the host's curl fetches a page and a 404 through the
# forward) while busybox wget fetches a page from a Python http.server on the
# host's loopback (10.0.2.2 in the guest). Before it, tests/net/lxnc.sh under
# another lx: busybox nc to a host listener and nc -l reached through a forward
# of the guest's port 8081, busybox ping 10.0.2.2 (lx's raw ICMP socket).
#
#   make check-lx-net
LXNET_INITRAMFS := $(BUILD)/lxnet-initramfs.cpio
$(LXNET_INITRAMFS): $(USER_ELFS:.elf=.stripped) $(LX_BUSYBOX) tests/net/lxnet.sh tests/net/lxnc.sh \
                    tests/net/lxnet-index.html \
                    tools/mkcpio.py $(foreach f,$(INITRAMFS_FILES),$(lastword $(subst =, ,$(f))))
	@echo "  CPIO    $@"
	@$(PYTHON) tools/mkcpio.py -o $@ $(foreach p,$(USER_PROGS) $(USER_MUSL_PROGS),$(p)=$(USER_BUILD)/$(p).stripped) \
	    $(INITRAMFS_FILES) bin/busybox=$(LX_BUSYBOX) data/lxnet.sh=tests/net/lxnet.sh \
	    data/lxnc.sh=tests/net/lxnc.sh \
	    data/www/index.html=tests/net/lxnet-index.html

.PHONY: check-lx-net
check-lx-net: $(KERNEL) $(LXNET_INITRAMFS) $(DEPS_STAMP)
	@$(PYTHON) tests/net/lxnet.py --name $(ARCH)-c$(CLUSTER_ORDER)$(VARIANT)-lx-net \
	    --log $(BUILD)/lx-net.log --results $(RESULTS) -- \
	    $(QEMU) $(QEMU_BASE) -m $(QEMU_MEM) -serial stdio -monitor none -kernel $(KERNEL) \
	    -initrd $(LXNET_INITRAMFS)

ifeq ($(ARCH),x86_64)
GUEST_CHECKS += check-lx-net
endif
EXTRA_HELP += "check-lx-net   Linux sockets: busybox httpd, wget, nc and ping under lx, the host's curl (tests/net/lxnet.py)"
