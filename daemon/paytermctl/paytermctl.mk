# paytermctl: list / monitor / virt / apdu, and the D-Bus commands.
PT_CTL_OBJS := $(addprefix $(B)/obj/daemon/paytermctl/,util.o swipe.o \
	apdumap.o list.o monitor.o virt.o apdu.o buserr.o dbus.o pay.o)
PT_CTL_LDLIBS = $(call pkg_libs,libudev jansson libsystemd)

$(B)/obj/daemon/paytermctl/%.o $(B)/obj/tests/unit/paytermctl/%.o: \
	BASE_CFLAGS += -Ilib/common -DPAYTERMCTL_VERSION='"$(VERSION)"'

$(B)/paytermctl: $(B)/obj/daemon/paytermctl/main.o $(PT_CTL_OBJS) \
		$(B)/libpaytermcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PT_CTL_LDLIBS)

PROGRAMS += $(B)/paytermctl

$(B)/tests/unit/paytermctl: $(B)/obj/tests/unit/paytermctl/test_paytermctl.o \
		$(PT_CTL_OBJS) $(B)/libpaytermcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PT_CTL_LDLIBS) $(call pkg_libs,check)

UNIT_TESTS += $(B)/tests/unit/paytermctl

# The D-Bus error advice alone (buserr.c).
$(B)/tests/unit/paytermctl_buserr: $(B)/obj/tests/unit/paytermctl/test_buserr.o \
		$(PT_CTL_OBJS) $(B)/libpaytermcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PT_CTL_LDLIBS) $(call pkg_libs,check)

UNIT_TESTS += $(B)/tests/unit/paytermctl_buserr
