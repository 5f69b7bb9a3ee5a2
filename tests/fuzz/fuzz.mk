# libFuzzer harnesses for libpaytermcrypto (issue 3): TR-31 parser and PIN
# block decoding.  Built with clang in the normal build only (not SAN=1);
# tests/check runs each one briefly through tests/fuzz/run.  The library
# sources are compiled into each fuzzer so they carry coverage
# instrumentation.
ifneq ($(SAN),1)
ifneq ($(shell command -v clang 2>/dev/null),)
PT_FUZZ_CC ?= clang
PT_FUZZ_CFLAGS := -std=gnu11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror \
	-Wno-unused-parameter -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-Ilib/crypto
PT_FUZZERS := $(B)/tests/fuzz/tr31 $(B)/tests/fuzz/pinblock

userspace: $(PT_FUZZERS)

$(B)/tests/fuzz/%: tests/fuzz/fuzz_%.c $(PT_CRYPTO_SRCS) \
		$(wildcard lib/crypto/*.h)
	@mkdir -p $(dir $@)
	$(PT_FUZZ_CC) $(PT_FUZZ_CFLAGS) $(PKG_CFLAGS) -o $@ $< $(PT_CRYPTO_SRCS) \
		$(call pkg_libs,openssl) -lpthread
endif
endif
