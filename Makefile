# davy - one plain Makefile: make, make demo, make test, make deps, make fuzz,
# make bench, make clean. Objects are listed explicitly; -MMD tracks headers.

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Wshadow -Wpointer-arith -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wno-unused-parameter -Werror
PKGS    := libndpi libpcap json-c libmaxminddb yaml-0.1 libmicrohttpd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
IOCS_DIR ?= $(CURDIR)/iocs
CPPFLAGS := -std=c11 -D_GNU_SOURCE -Iinclude $(PKG_CFLAGS) -DDAVY_IOCS_DIR='"$(IOCS_DIR)"'
LDLIBS   := $(PKG_LIBS) -lhiredis -lurcu-qsbr -lck -lcrypto -lpthread -lm

BUILD   ?= build
PY      := /usr/bin/python3

PROTO_SRC  := proto/decode.c proto/eth.c proto/vlan.c proto/sll.c proto/null.c \
              proto/raw.c proto/ppp.c proto/chdlc.c proto/ppi.c proto/mpls.c proto/ipv4.c \
              proto/ipv6.c proto/tcp.c proto/udp.c proto/icmp.c proto/sctp.c \
              proto/vxlan.c proto/geneve.c proto/gre.c proto/stratum.c proto/stratum_url.c proto/dns.c proto/feed.c
SENSOR_SRC := sensor/pool.c sensor/queue.c sensor/defrag.c sensor/ingest.c sensor/flow.c sensor/stratum_flow.c sensor/tcp_reasm.c sensor/classify.c sensor/jbuf.c \
              sensor/community_id.c sensor/record.c sensor/alert.c sensor/alert_limit.c sensor/dnscache.c sensor/dnslink.c sensor/ioc.c sensor/ioc_match.c sensor/ioc_live.c sensor/reload.c sensor/geo.c sensor/pods.c sensor/pods_live.c sensor/capture.c sensor/alert_dedup.c sensor/redis_conn.c sensor/redis_out.c sensor/correlate.c sensor/run.c sensor/cli.c sensor/config.c sensor/privs.c sensor/metrics.c
MAIN_SRC   := sensor/main.c

LIB_OBJ  := $(patsubst %.c,$(BUILD)/%.o,$(PROTO_SRC) $(SENSOR_SRC))
MAIN_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(MAIN_SRC))
DAVY     := $(BUILD)/davy
LIBDAVY  := $(BUILD)/libdavy.a

UNIT_TESTS := test_decode test_flow test_queue test_jbuf test_community_id test_defrag \
              test_stratum test_tcp_reasm test_stratum_flow test_dnscache test_dns test_ioc test_ioc_match test_alert_limit test_stratum_url test_redis test_geo test_pods test_config test_privs test_metrics test_capture
UNIT_BINS  := $(addprefix $(BUILD)/tests/,$(UNIT_TESTS))

.PHONY: all demo test check deps fuzz bench asan clean test-unit test-golden \
        test-corpus test-cli test-asan test-tsan

all: $(DAVY)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -MMD -MP -c $< -o $@

$(LIBDAVY): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(DAVY): $(MAIN_OBJ) $(LIBDAVY)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIBDAVY)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -Wno-missing-prototypes -MMD -MP -o $@ $< $(LIBDAVY) $(LDLIBS) -lcmocka

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ---- installing what is missing (Debian bookworm packages) -------------
deps:
	@sh .ci/deps.sh

# ---- the main job on a shipped capture ----------------------------------
demo: deps
	$(MAKE) all
	@echo "== davy -r pcaps/demo.pcap (records on stdout, summary on stderr)"
	$(DAVY) -r pcaps/demo.pcap --sensor-name demo

# ---- tests ----------------------------------------------------------------
# `make test` = install, build, then the whole suite twice: as built, and
# under AddressSanitizer + UndefinedBehaviorSanitizer; then the suites that
# drive davy's threads (golden, reload, redis, pods, live) under ThreadSanitizer; then the
# fuzzers briefly.
# Each stage leaves its 'N passed, N failed' in a summary file; the last line
# of `make test` is their total.
test: deps
	@rm -f build/test-summary build/asan/test-summary build/tsan/test-summary build/fuzz-summary
	-$(MAKE) check
	-$(MAKE) test-asan
	-$(MAKE) test-tsan
	-$(MAKE) fuzz FUZZ_SECONDS=$${FUZZ_SECONDS:-20} DAVY_SUMMARY=$(CURDIR)/build/fuzz-summary
	@sh tests/total.sh build/test-summary build/asan/test-summary build/tsan/test-summary \
	  build/fuzz-summary

check: all $(UNIT_BINS)
	@sh tests/run_all.sh $(BUILD)

test-asan:
	$(MAKE) check BUILD=build/asan \
	  CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined"

# ThreadSanitizer: tests/tsan.supp holds only what TSan cannot see (tsan.h).
test-tsan:
	$(MAKE) all BUILD=build/tsan CFLAGS="-O1 -g -fsanitize=thread" LDFLAGS="-fsanitize=thread"
	@TSAN_OPTIONS="suppressions=$(CURDIR)/tests/tsan.supp" SUITES="golden reload redis pods live" \
	  sh tests/run_all.sh build/tsan

# ---- fuzzing (clang's libFuzzer) ------------------------------------------
FUZZ_TARGETS := fuzz_decode fuzz_pcap fuzz_stratum fuzz_reasm fuzz_dns fuzz_feed fuzz_url fuzz_redis fuzz_corr fuzz_pods fuzz_config
FUZZ_SECONDS ?= 60
DAVY_SUMMARY ?=
FUZZ_CFLAGS := -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_SRC := $(PROTO_SRC) $(SENSOR_SRC)

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_SRC) $(wildcard include/*.h tests/fuzz/*.h)
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRC) $(LDLIBS)

fuzz: $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS))
	@DAVY_SUMMARY=$(DAVY_SUMMARY) sh tests/fuzz/run.sh $(BUILD)/fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# ---- benchmarks ------------------------------------------------------------
# bench/ioc_load: loads N generated indicators, reports time and peak RSS
# (run by bench/run.sh)
$(BUILD)/bench/ioc_load: bench/ioc_load.c $(LIBDAVY)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -MMD -MP -o $@ $< $(LIBDAVY) $(LDLIBS)

# bench/redis_out_bench: records/s one output thread delivers to Redis
$(BUILD)/bench/redis_out_bench: bench/redis_out_bench.c $(LIBDAVY)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -MMD -MP -o $@ $< $(LIBDAVY) $(LDLIBS)

bench: deps
	$(MAKE) all
	@sh bench/run.sh

clean:
	rm -rf build
