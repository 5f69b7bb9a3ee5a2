# payterm-keytool: command-line front end of libpaytermcrypto (issue 3).
PT_KEYTOOL := $(B)/payterm-keytool
PROGRAMS += $(PT_KEYTOOL)

$(B)/obj/daemon/keytool/%.o: BASE_CFLAGS += -Ilib/crypto \
	-DPT_KEYTOOL_VERSION='"$(VERSION)"'

$(PT_KEYTOOL): $(B)/obj/daemon/keytool/keytool.o $(PT_CRYPTO_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,jansson) $(PT_CRYPTO_LDLIBS)
