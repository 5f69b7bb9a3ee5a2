# libFuzzer harnesses, one per parser that faces input (issue 3: TR-31 and
# PIN blocks; issue 19: ISO 8583, the bank's request handling, the server's
# handling of the bank's answers, BER-TLV, EMV card responses, tracks,
# paytermd.conf, payment request JWS on both sides, the pull-queue answer,
# paytermd's verdict on the server's payment view, the terminal submission
# and the server's HTTP requests; issue 12: the privsep channel as each
# process decodes it).  Built with
# clang in the normal build only (not SAN=1); tests/check runs each one
# briefly through tests/fuzz/run, tests/fuzz/campaign runs them for millions
# of executions (docs/testing.md, "Fuzzing").
#
# The library sources are compiled once more with coverage instrumentation
# (-fsanitize=fuzzer-no-link) into $(B)/fuzz-obj/ and collected in one
# archive per library, so each fuzzer links only the objects it needs and
# all of them carry coverage instrumentation.
ifneq ($(SAN),1)
ifneq ($(shell command -v clang 2>/dev/null),)
PT_FUZZ_CC ?= clang
PT_FUZZ_WARN := -Wall -Wextra -Werror -Wno-unused-parameter
PT_FUZZ_BASE := -std=gnu11 -D_GNU_SOURCE -g -O1 $(PT_FUZZ_WARN) \
	-fno-omit-frame-pointer -fno-sanitize-recover=all \
	-Iinclude/uapi -Iinclude -Ilib/crypto -Ilib/common -Iserver/iso8583
PT_FUZZ_CFLAGS := $(PT_FUZZ_BASE) -fsanitize=fuzzer,address,undefined
PT_FUZZ_OBJFLAGS := $(PT_FUZZ_BASE) -fsanitize=fuzzer-no-link,address,undefined

PT_FUZZ_NAMES := tr31 pinblock iso8583 bank bankresp tlv emv track config \
	request jws pending verdict submit http privsep_card privsep_front
PT_FUZZERS := $(PT_FUZZ_NAMES:%=$(B)/tests/fuzz/%)

userspace: $(PT_FUZZERS)

# ---- instrumented libraries ------------------------------------------
PT_FZ := $(B)/fuzz-obj
pt_fz_objs = $(patsubst %.c,$(PT_FZ)/%.o,$(1))
PT_FZ_CRYPTO := $(PT_FZ)/libcrypto.a
PT_FZ_COMMON := $(PT_FZ)/libcommon.a
PT_FZ_ISO := $(PT_FZ)/libiso8583.a
PT_FZ_BANK := $(PT_FZ)/libbank.a
PT_FZ_PD := $(PT_FZ)/libpaytermd.a
PT_FZ_PS := $(PT_FZ)/libpayserver.a

$(PT_FZ_CRYPTO): $(call pt_fz_objs,$(PT_CRYPTO_SRCS))
$(PT_FZ_COMMON): $(call pt_fz_objs,$(sort $(wildcard lib/common/*.c)))
$(PT_FZ_ISO): $(call pt_fz_objs,server/iso8583/iso8583.c)
$(PT_FZ_BANK): $(call pt_fz_objs,server/bank/bank.c server/bank/bankcrypto.c)
# paytermd's core (no D-Bus, devices or HTTP): what the unit tests link
$(PT_FZ_PD): $(call pt_fz_objs,$(PD_CORE:%=daemon/paytermd/%.c))
$(PT_FZ_PS): $(call pt_fz_objs,$(PS_SRCS))

$(PT_FZ)/%.a:
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(PT_FZ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(PT_FUZZ_CC) $(PT_FUZZ_OBJFLAGS) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

-include $(shell find $(PT_FZ) -name '*.d' 2>/dev/null)

# ---- the fuzzers ------------------------------------------------------
# Per fuzzer: the archives it links (most dependent first) and the system
# libraries.  PT_FUZZ_SRCDIR lets a harness read tests/data/ and tests/fuzz/.
PT_FUZZ_CRYPTO_LIBS = $(call pkg_libs,openssl) -lpthread
# libpaytermd.a's log.o writes to the journal
PT_FUZZ_PD_LIBS = $(call pkg_libs,libsystemd)

$(B)/tests/fuzz/tr31 $(B)/tests/fuzz/pinblock: $(PT_FZ_CRYPTO)
$(B)/tests/fuzz/tr31 $(B)/tests/fuzz/pinblock: PT_FUZZ_LDLIBS = $(PT_FUZZ_CRYPTO_LIBS)

$(B)/tests/fuzz/iso8583: $(PT_FZ_ISO) $(PT_FZ_COMMON)

$(B)/tests/fuzz/bank: $(PT_FZ_BANK) $(PT_FZ_ISO) $(PT_FZ_COMMON) $(PT_FZ_CRYPTO)
$(B)/tests/fuzz/bank: PT_FUZZ_LDLIBS = $(call pkg_libs,jansson sqlite3) $(PT_FUZZ_CRYPTO_LIBS)

$(B)/tests/fuzz/tlv: $(PT_FZ_BANK) $(PT_FZ_COMMON) $(PT_FZ_CRYPTO)
$(B)/tests/fuzz/tlv: PT_FUZZ_LDLIBS = $(PT_FUZZ_CRYPTO_LIBS)

$(B)/tests/fuzz/emv $(B)/tests/fuzz/track: $(PT_FZ_PD) $(PT_FZ_BANK) $(PT_FZ_COMMON) \
	$(PT_FZ_CRYPTO)
$(B)/tests/fuzz/emv $(B)/tests/fuzz/track: PT_FUZZ_LDLIBS = $(PT_FUZZ_CRYPTO_LIBS) $(PT_FUZZ_PD_LIBS)

$(B)/tests/fuzz/config: $(PT_FZ_PD) $(PT_FZ_COMMON) $(PT_FZ_CRYPTO)
$(B)/tests/fuzz/config: PT_FUZZ_LDLIBS = $(call pkg_libs,inih) $(PT_FUZZ_CRYPTO_LIBS) $(PT_FUZZ_PD_LIBS)

$(B)/tests/fuzz/request $(B)/tests/fuzz/pending $(B)/tests/fuzz/verdict: \
	$(PT_FZ_PD) $(PT_FZ_COMMON) $(PT_FZ_CRYPTO)
$(B)/tests/fuzz/request $(B)/tests/fuzz/pending $(B)/tests/fuzz/verdict: \
	PT_FUZZ_LDLIBS = $(call pkg_libs,jansson) $(PT_FUZZ_CRYPTO_LIBS) $(PT_FUZZ_PD_LIBS)

# the privsep channel, one harness per side (docs/privsep.md)
$(B)/tests/fuzz/privsep_card $(B)/tests/fuzz/privsep_front: tests/fuzz/fuzz_privsep.h \
	$(PT_FZ_PD) $(PT_FZ_COMMON) $(PT_FZ_CRYPTO)
$(B)/tests/fuzz/privsep_card $(B)/tests/fuzz/privsep_front: \
	PT_FUZZ_LDLIBS = $(PT_FUZZ_CRYPTO_LIBS) $(PT_FUZZ_PD_LIBS)

$(B)/tests/fuzz/jws: $(PT_FZ_PS) $(PT_FZ_COMMON)
$(B)/tests/fuzz/jws: PT_FUZZ_LDLIBS = $(call pkg_libs,jansson) $(PT_FUZZ_CRYPTO_LIBS)

# the server harnesses share the in-process server of fuzz_server.h
PT_FUZZ_SERVERS := $(B)/tests/fuzz/submit $(B)/tests/fuzz/http \
	$(B)/tests/fuzz/bankresp
$(PT_FUZZ_SERVERS): tests/fuzz/fuzz_server.h $(PT_FZ_PS) $(PT_FZ_ISO) $(PT_FZ_COMMON) \
	$(PT_FZ_CRYPTO)
$(PT_FUZZ_SERVERS): PT_FUZZ_LDLIBS = $(PS_LDLIBS)

$(B)/tests/fuzz/%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_jws.h
	@mkdir -p $(dir $@)
	$(PT_FUZZ_CC) $(PT_FUZZ_CFLAGS) $(PKG_CFLAGS) \
		-DPT_FUZZ_SRCDIR='"$(CURDIR)"' -o $@ $< $(filter %.a,$^) \
		$(PT_FUZZ_LDLIBS)
endif
endif
