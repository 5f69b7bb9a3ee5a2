# UAPI layout test: sizes/offsets of <linux/payterm.h>.
$(B)/tests/unit/uapi: $(B)/obj/tests/unit/uapi/test_uapi.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,check)

UNIT_TESTS += $(B)/tests/unit/uapi
