# payterm payment crypto library (issue 3): libpaytermcrypto.a, its Check
# unit tests and benchmark.  Linked by paytermd, payterm-keytool,
# payterm-server and payterm-bank, hence lib/ and not daemon/.  The top-level
# Makefile includes lib/*/*.mk before the other fragments: their rules name
# $(PT_CRYPTO_LIB) as a prerequisite, which make expands when it reads them.

PT_CRYPTO_SRCS := $(sort $(wildcard lib/crypto/*.c))
PT_CRYPTO_OBJS := $(PT_CRYPTO_SRCS:%.c=$(B)/obj/%.o)
PT_CRYPTO_LIB := $(B)/libpaytermcrypto.a
PT_CRYPTO_LDLIBS = $(call pkg_libs,openssl) -lpthread

LIBS += $(PT_CRYPTO_LIB)

$(PT_CRYPTO_LIB): $(PT_CRYPTO_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

# Tests and benchmarks include the library headers by name.
$(B)/obj/tests/unit/crypto/%.o $(B)/obj/tests/bench/%.o: \
	BASE_CFLAGS += -Ilib/crypto \
	-DPT_VECTOR_DIR='"$(CURDIR)/tests/unit/crypto/vectors"'

# One Check binary per tests/unit/crypto/test_<name>.c -> crypto_<name>;
# tests/unit/crypto/common.c holds shared helpers.
PT_CRYPTO_TEST_SRCS := $(sort $(wildcard tests/unit/crypto/test_*.c))
PT_CRYPTO_TESTS := $(PT_CRYPTO_TEST_SRCS:tests/unit/crypto/test_%.c=$(B)/tests/unit/crypto_%)
UNIT_TESTS += $(PT_CRYPTO_TESTS)

$(B)/tests/unit/crypto_%: $(B)/obj/tests/unit/crypto/test_%.o \
		$(B)/obj/tests/unit/crypto/common.o $(PT_CRYPTO_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,check jansson) $(PT_CRYPTO_LDLIBS)

# The keystore tests exercise the keytool too.
$(B)/tests/unit/crypto_keytool: | $(B)/payterm-keytool

PT_CRYPTO_BENCH := $(B)/bench/crypto
BENCHES += $(PT_CRYPTO_BENCH)
$(PT_CRYPTO_BENCH): $(B)/obj/tests/bench/crypto_bench.o $(PT_CRYPTO_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PT_CRYPTO_LDLIBS)
