# libpaytermcommon: track parsing, PAN masking, hex, base64url, compact JWS
# ES256 (payterm-jws.h), BER-TLV, secure wipe.
# Used by paytermctl, paytermd and payterm-bank (BER-TLV); each adds
# -Ilib/common and includes "payterm-common.h".
PT_COMMON_OBJS := $(addprefix $(B)/obj/lib/common/,track.o hex.o b64url.o jws.o tlv.o wipe.o)

$(B)/libpaytermcommon.a: $(PT_COMMON_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

LIBS += $(B)/libpaytermcommon.a

$(B)/tests/unit/common: $(B)/obj/tests/unit/common/test_common.o \
		$(B)/libpaytermcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,check)

$(B)/obj/tests/unit/common/%.o: BASE_CFLAGS += -Ilib/common

UNIT_TESTS += $(B)/tests/unit/common

# base64url and the JWS ES256 primitive (OpenSSL, jansson)
$(B)/tests/unit/common_jws: $(B)/obj/tests/unit/common/test_jws.o \
		$(B)/libpaytermcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,check openssl jansson)

UNIT_TESTS += $(B)/tests/unit/common_jws
