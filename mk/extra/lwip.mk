# lwIP, the TCP/IP stack of the network server (user/net; decision 133): Debian's
# source package, fetched by tools/deps.sh --source (apt verifies it against the
# signed archive), unpacked under build/src/, never copied into the repository,
# and built with Weft's port files (user/net/port/: lwipopts.h, arch/cc.h,
# sys_arch.c) into a static library the server links (MUSL_LIBS_net).
#
#   make lwip            $(LWIP_LIB)

LWIP_PKG   := lwip=2.1.3+dfsg1-2
LWIP_SRC   := build/src/lwip-2.1.3+dfsg1
LWIP_BUILD := $(BUILD)/lwip
LWIP_LIB   := $(LWIP_BUILD)/liblwip.a
LWIP_PORT  := user/net/port
# The core, IPv4 (ARP, DHCP, ICMP, fragments) and Ethernet: what a NO_SYS raw-API
# server needs; no sequential or socket API (they need threads), no IPv6 yet.
LWIP_FILES := core/def.c core/dns.c core/inet_chksum.c core/init.c core/ip.c core/mem.c \
              core/memp.c core/netif.c core/pbuf.c core/raw.c core/stats.c core/sys.c \
              core/tcp.c core/tcp_in.c core/tcp_out.c core/timeouts.c core/udp.c \
              core/ipv4/autoip.c core/ipv4/dhcp.c core/ipv4/etharp.c core/ipv4/icmp.c \
              core/ipv4/igmp.c core/ipv4/ip4.c core/ipv4/ip4_addr.c core/ipv4/ip4_frag.c \
              netif/ethernet.c
# Where lwIP's headers and the port's are found (-isystem: lwIP's own headers are
# not held to Weft's warnings).
LWIP_INCLUDE := -isystem $(LWIP_PORT) -isystem $(LWIP_SRC)/src/include
# lwIP's sources are built with the musl flags less Weft's -Werror set.
LWIP_CFLAGS := $(filter-out $(WARNINGS),$(MUSL_CFLAGS)) -w $(LWIP_INCLUDE)
LWIP_OBJS  := $(patsubst %.c,$(LWIP_BUILD)/%.o,$(LWIP_FILES)) $(LWIP_BUILD)/port/sys_arch.o
# The C library whose headers lwIP is built against: the port's own where it
# has one (aarch64's or riscv64's, mk/extra/pcibus-ecam.mk), else x86-64's.
LWIP_LIBC  := $(or $(A64_MUSL_LIBC),$(RV_MUSL_LIBC),$(MUSL_LIBC))
LWIP_DEPS  := $(LWIP_SRC)/.fetched $(LWIP_LIBC) $(shell find $(LWIP_PORT) -name '*.h') mk/extra/lwip.mk

$(LWIP_SRC)/.fetched: tools/deps.sh
	@echo "  FETCH   $(LWIP_PKG)"
	@tools/deps.sh --source $(LWIP_PKG) build/src
	@touch $@

$(LWIP_SRC)/src/%.c: $(LWIP_SRC)/.fetched ;
# The sources are not intermediate files: make must not delete them.
.PRECIOUS: $(LWIP_SRC)/src/%.c

$(LWIP_BUILD)/%.o: $(LWIP_SRC)/src/%.c $(LWIP_DEPS)
	@mkdir -p $(dir $@)
	@echo "  LWIPCC  $*.c"
	@$(CC) $(LWIP_CFLAGS) -c $< -o $@

$(LWIP_BUILD)/port/sys_arch.o: $(LWIP_PORT)/sys_arch.c $(LWIP_DEPS)
	@mkdir -p $(dir $@)
	@echo "  LWIPCC  $<"
	@$(CC) $(MUSL_CFLAGS) $(LWIP_INCLUDE) -c $< -o $@

$(LWIP_LIB): $(LWIP_OBJS)
	@echo "  AR      $@"
	@rm -f $@ && llvm-ar rcs $@ $^

# The network server links the library and sees its headers.
MUSL_LIBS_net := $(LWIP_LIB)
$(call musl_objs,$(wildcard user/net/*.c)): MUSL_CFLAGS += $(LWIP_INCLUDE)
$(call musl_objs,$(wildcard user/net/*.c)): $(LWIP_SRC)/.fetched

.PHONY: lwip
lwip: $(LWIP_LIB)
EXTRA_HELP += "lwip           build lwIP (Debian's source) with the network server's port"
