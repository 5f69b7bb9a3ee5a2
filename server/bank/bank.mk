# payterm-bank: bank front-end simulator (issue 6), its test client and
# unit tests.  See server/bank/README.md.
PT_BANK_OBJS := $(addprefix $(B)/obj/server/bank/,bank.o bankcrypto.o)
# BER-TLV comes from libpaytermcommon (lib/common/).
PT_BANK_LIBS := $(B)/libpaytermiso8583.a $(B)/libpaytermcommon.a $(PT_CRYPTO_LIB)
PT_BANK_LDLIBS = $(call pkg_libs,jansson sqlite3) $(PT_CRYPTO_LDLIBS)

$(B)/obj/server/bank/%.o $(B)/obj/tests/unit/bank/%.o: \
	BASE_CFLAGS += -Iserver/bank -Iserver/iso8583 -Ilib/crypto -Ilib/common \
	-DPT_BANK_VERSION='"$(VERSION)"'

PROGRAMS += $(B)/payterm-bank $(B)/payterm-bank-client

$(B)/payterm-bank: $(B)/obj/server/bank/main.o $(PT_BANK_OBJS) \
		$(PT_BANK_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PT_BANK_LDLIBS)

$(B)/payterm-bank-client: $(B)/obj/server/bank/client.o $(PT_BANK_OBJS) \
		$(PT_BANK_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PT_BANK_LDLIBS) -lm

UNIT_TESTS += $(B)/tests/unit/bank
$(B)/obj/tests/unit/bank/%.o: \
	BASE_CFLAGS += -DPT_BANK_SRCDIR='"$(CURDIR)"'
$(B)/tests/unit/bank: $(B)/obj/tests/unit/bank/test_bank.o $(PT_BANK_OBJS) \
		$(PT_BANK_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,check) $(PT_BANK_LDLIBS)
