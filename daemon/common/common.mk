# libpaytermcommon: track parsing, PAN masking, hex, BER-TLV, secure wipe.
# Used by paytermctl, paytermd (include "../common/payterm-common.h") and
# payterm-bank (BER-TLV; -Idaemon/common).
PT_COMMON_OBJS := $(addprefix $(B)/obj/daemon/common/,track.o hex.o tlv.o wipe.o)

$(B)/libpaytermcommon.a: $(PT_COMMON_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

LIBS += $(B)/libpaytermcommon.a

$(B)/tests/unit/common: $(B)/obj/tests/unit/common/test_common.o \
		$(B)/libpaytermcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,check)

UNIT_TESTS += $(B)/tests/unit/common
