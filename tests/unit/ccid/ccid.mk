# Unit tests of the CCID protocol logic (kmod/ccid_tpdu.c, no kernel
# dependencies) built in userspace.
$(B)/tests/unit/ccid: $(B)/obj/tests/unit/ccid/test_ccid.o $(B)/obj/kmod/ccid_tpdu.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,check)

UNIT_TESTS += $(B)/tests/unit/ccid
