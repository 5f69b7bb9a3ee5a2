# payterm-server: reference payment server (issue 6; docs/protocol.md,
# docs/payserver.md).  Everything but main.c goes into libpayserver.a so
# the Check unit tests link the same code.
PS_SRCS := $(filter-out server/payserver/main.c,$(sort $(wildcard server/payserver/*.c)))
PS_OBJS := $(PS_SRCS:%.c=$(B)/obj/%.o)
PS_LIB := $(B)/libpayserver.a
PS_BIN := $(B)/payterm-server
PS_LDLIBS = $(call pkg_libs,libevent_openssl libevent_pthreads libevent openssl jansson sqlite3 libpq libcurl libsystemd) -lpthread
# The ISO 8583 codec (server/iso8583/, owned by the bank simulator) once present.
PS_ISO_LIB = $(PT_ISO8583_LIB)
# libpaytermcrypto (lib/crypto/): pt_hex_decode.  libpaytermcommon
# (lib/common/): hex, base64url, the ES256 JWS primitive, wiping.
PS_CRYPTO_LIB = $(B)/libpaytermcommon.a $(PT_CRYPTO_LIB)

LIBS += $(PS_LIB)
PROGRAMS += $(PS_BIN)

$(B)/obj/server/payserver/%.o $(B)/obj/tests/unit/server/%.o: \
	BASE_CFLAGS += -Iserver/payserver -Iserver/iso8583 -Ilib/crypto -Ilib/common \
	-DPS_VERSION='"$(VERSION)"'

$(PS_LIB): $(PS_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(PS_BIN): $(B)/obj/server/payserver/main.o $(PS_LIB) $(PS_ISO_LIB) $(PS_CRYPTO_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PS_LDLIBS)

# One Check binary per tests/unit/server/test_<name>.c -> server_<name>.
PS_TEST_SRCS := $(sort $(wildcard tests/unit/server/test_*.c))
PS_TESTS := $(PS_TEST_SRCS:tests/unit/server/test_%.c=$(B)/tests/unit/server_%)
UNIT_TESTS += $(PS_TESTS)

$(B)/tests/unit/server_%: $(B)/obj/tests/unit/server/test_%.o $(PS_LIB) \
		$(PS_ISO_LIB) $(PS_CRYPTO_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,check) $(PS_LDLIBS)

# Test terminal for the e2e tests (tests/e2e/lib/termpay.c): test keys only.
PS_TERMPAY := $(B)/tests/e2e/pt-termpay
userspace: $(PS_TERMPAY)
$(B)/obj/tests/e2e/lib/%.o: BASE_CFLAGS += -Ilib/crypto
$(PS_TERMPAY): $(B)/obj/tests/e2e/lib/termpay.o $(PT_CRYPTO_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,jansson) $(PT_CRYPTO_LDLIBS)
