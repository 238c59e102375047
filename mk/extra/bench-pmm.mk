# The PMM simulator (bench/pmm/): the kernel's own kernel/mm/pmm.c compiled for the
# host once per CLUSTER_ORDER, run under a seeded aging workload at several
# fragmentation levels. Results: bench/results/pmm.json, bench/results/pmm.png and
# the table in docs/perf/pmm.md (see that file for the workload and the figures).
#
#   make bench-pmm          4 GiB, CLUSTER_ORDER=0 and 4 side by side (a few minutes)
#   make bench-pmm-smoke    512 MiB, debug build with sanitizers, checks the claims
#                           that must always hold; part of make check

BENCH_PMM_SRCS := bench/pmm/sim.c bench/pmm/workload.c kernel/mm/pmm.c kernel/mm/pmm_boot.c \
                  kernel/lib/avl.c \
                  kernel/core/bootmem.c $(HOST_SHIM)
BENCH_PMM_DEPS := $(BENCH_PMM_SRCS) bench/pmm/workload.h kernel/include/mm/pmm.h \
                  kernel/include/core/bootmem.h mk/extra/bench-pmm.mk
BENCH_PMM_INC  := -Ibench/pmm -Itests/host/shim -Ikernel/include -Ikernel/arch/$(ARCH)/include \
                  -Iabi/include -DWEFT_HOST=1
# The measured build is a release build (no WEFT_DEBUG), as the kernel will ship;
# the smoke build keeps the debug checks and adds the sanitizers.
BENCH_PMM_CFLAGS := -std=gnu17 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter $(BENCH_PMM_INC)
BENCH_PMM_DBG_CFLAGS := -std=gnu17 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
                        -Wall -Wextra -Werror -Wno-unused-parameter -DWEFT_DEBUG=1 $(BENCH_PMM_INC)
BENCH_PMM_ORDERS := 0 4

build/bench/pmm-c%: $(BENCH_PMM_DEPS)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	@$(HOST_CC) $(BENCH_PMM_CFLAGS) -DCLUSTER_ORDER=$* -o $@ $(BENCH_PMM_SRCS) -lm

build/bench/pmm-dbg-c%: $(BENCH_PMM_DEPS)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	@$(HOST_CC) $(BENCH_PMM_DBG_CFLAGS) -DCLUSTER_ORDER=$* -o $@ $(BENCH_PMM_SRCS) -lm

.PHONY: bench-pmm bench-pmm-smoke
bench-pmm: $(foreach o,$(BENCH_PMM_ORDERS),build/bench/pmm-c$(o))
	$(PYTHON) bench/pmm/run.py --bin build/bench/pmm-c --ram 4G --seed 1 \
	    --json bench/results/pmm.json --png bench/results/pmm.png --md docs/perf/pmm.md

bench-pmm-smoke: $(foreach o,$(BENCH_PMM_ORDERS),build/bench/pmm-dbg-c$(o))
	@$(PYTHON) bench/pmm/run.py --bin build/bench/pmm-dbg-c --ram 512M --seed 1 --seeds 2 --levels 0,50,100 \
	    --age-ticks 1000 --measure-ticks 400 --life-max 1500 --json build/bench/pmm-smoke.json --check

EXTRA_HELP += "bench-pmm      PMM simulator: CLUSTER_ORDER=0 vs 4 under aging (docs/perf/pmm.md)"
EXTRA_HELP += "bench-pmm-smoke  a small PMM simulator run that checks its invariants (in make check)"
CHECK_TARGETS += bench-pmm-smoke
