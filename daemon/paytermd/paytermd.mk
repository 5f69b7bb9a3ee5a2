# paytermd: the D-Bus payment service (issue 7).
PD_VERSION_DEF := -DPD_VERSION='"$(VERSION)"'
PD_CORE := config log secure tlv card seal txn emv emv_apdu emv_select emv_data request pending \
	journal verdict privsep_proto bus_error
PD_SVC := dev readers bus submit pull card_client card_proc card_sign sandbox tls_key
PD_CORE_OBJS := $(PD_CORE:%=$(B)/obj/daemon/paytermd/%.o)
PD_SVC_OBJS := $(PD_SVC:%=$(B)/obj/daemon/paytermd/%.o)
PD_LDLIBS = $(call pkg_libs,libsystemd libudev openssl libcurl jansson inih)

PD_INCLUDES := -Ilib/crypto -Ilib/common
$(B)/obj/daemon/paytermd/%.o: BASE_CFLAGS += $(PD_VERSION_DEF) $(PD_INCLUDES)
$(B)/obj/tests/unit/paytermd/%.o: BASE_CFLAGS += $(PD_VERSION_DEF) $(PD_INCLUDES) \
	-DPD_TEST_DATA='"$(CURDIR)/tests/unit/paytermd/data"'

PD_LIBS := $(B)/libpaytermcommon.a $(B)/libpaytermcrypto.a

$(B)/paytermd: $(B)/obj/daemon/paytermd/main.o $(PD_SVC_OBJS) $(PD_CORE_OBJS) \
		$(PD_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PD_LDLIBS)

PROGRAMS += $(B)/paytermd

# paytermd-test: the same daemon built with -DPAYTERMD_TEST_BUILD, where
# PAYTERMD_NO_POLKIT=1 lets the bus policy alone decide (the VM tests have no
# polkitd).  Built with the unit tests, never installed: the installed
# paytermd always asks polkit and refuses payments when it cannot.
PD_TESTBUILD_OBJS := $(B)/obj/daemon/paytermd-test/bus.o \
	$(B)/obj/daemon/paytermd-test/card_proc.o
$(B)/obj/daemon/paytermd-test/%.o: daemon/paytermd/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) $(PD_VERSION_DEF) $(PD_INCLUDES) \
		-DPAYTERMD_TEST_BUILD -MMD -MP -c -o $@ $<

$(B)/paytermd-test: $(B)/obj/daemon/paytermd/main.o \
		$(filter-out $(B)/obj/daemon/paytermd/bus.o $(B)/obj/daemon/paytermd/card_proc.o,\
			$(PD_SVC_OBJS)) \
		$(PD_TESTBUILD_OBJS) $(PD_CORE_OBJS) $(PD_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PD_LDLIBS)

userspace: $(B)/paytermd-test

PD_TEST_SRCS := $(sort $(wildcard tests/unit/paytermd/test_*.c))
PD_TESTS := $(PD_TEST_SRCS:tests/unit/paytermd/test_%.c=$(B)/tests/unit/paytermd_%)
UNIT_TESTS += $(PD_TESTS)

$(B)/tests/unit/paytermd_%: $(B)/obj/tests/unit/paytermd/test_%.o \
		$(PD_CORE_OBJS) $(PD_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PD_LDLIBS) $(call pkg_libs,check)
