# libpaytermcommon: track parsing, PAN masking, hex, secure wipe.
# Used by paytermctl and paytermd: include "../common/payterm-common.h".
PT_COMMON_OBJS := $(addprefix $(B)/obj/daemon/common/,track.o hex.o wipe.o)

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
