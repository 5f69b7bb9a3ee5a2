# ISO 8583 codec (issue 6, docs/protocol.md "ISO 8583 profile"):
# libpaytermiso8583.a, used by payterm-bank and payterm-server.
# Users add -Iserver/iso8583 and link $(PT_ISO8583_LIB), then libpaytermcommon.a.
PT_ISO8583_LIB := $(B)/libpaytermiso8583.a
LIBS += $(PT_ISO8583_LIB)

$(PT_ISO8583_LIB): $(B)/obj/server/iso8583/iso8583.o
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

# hex through lib/common: users link libpaytermcommon.a after this library
$(B)/obj/server/iso8583/%.o: BASE_CFLAGS += -Ilib/common
$(B)/obj/tests/unit/iso8583/%.o: BASE_CFLAGS += -Iserver/iso8583

UNIT_TESTS += $(B)/tests/unit/iso8583
$(B)/tests/unit/iso8583: $(B)/obj/tests/unit/iso8583/test_iso8583.o \
		$(PT_ISO8583_LIB) $(B)/libpaytermcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,check)
