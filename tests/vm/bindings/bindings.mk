# tests/vm/t-dbus-bindings' client (issue 18): C proxies generated at build
# time by gdbus-codegen (libglib2.0-dev-bin) from the introspection XML that
# ships (daemon/dbus/, installed by mk/install.mk), and a small client that
# makes a payment through them alone.  A test program: built by `make`
# (userspace), never installed; GLib/GIO (libglib2.0-dev) is needed by this
# test only.  The XML generated from is copied to $(PT_BINDINGS_GEN)/xml/:
# the test checks that it is what make install-userspace installs.
# PT_BINDINGS_XML: other XML files to generate from (the self-checks in
# docs/dbus-api.md, "Generated bindings").
PT_BINDINGS_XML ?= $(sort $(wildcard daemon/dbus/*.xml))
PT_BINDINGS_GEN := $(B)/gen/tests/vm/bindings
PT_BINDINGS_CLIENT := $(B)/tests/vm/pt-bindings-client
# the list of inputs, rewritten when it changes: going back to the shipped
# files after PT_BINDINGS_XML=... regenerates too (they are older)
PT_BINDINGS_INPUTS := $(PT_BINDINGS_GEN)/inputs
$(shell mkdir -p $(PT_BINDINGS_GEN) && { echo '$(PT_BINDINGS_XML)' | \
	cmp -s - $(PT_BINDINGS_INPUTS) || echo '$(PT_BINDINGS_XML)' >$(PT_BINDINGS_INPUTS); })
PT_BINDINGS_CFLAGS = $(shell $(PKG_CONFIG) --cflags gio-2.0)
PT_BINDINGS_LIBS = $(shell $(PKG_CONFIG) --libs gio-2.0)
# gdbus-codegen's output only (not client.c): its GObject boilerplate casts
# function types and leaves parameters unused
PT_BINDINGS_GEN_CFLAGS := -Wno-unused-parameter -Wno-cast-function-type \
	-Wno-missing-field-initializers

userspace: $(PT_BINDINGS_CLIENT)

$(PT_BINDINGS_GEN)/payterm-dbus.c: $(PT_BINDINGS_XML) $(PT_BINDINGS_INPUTS) \
		tests/vm/bindings/bindings.mk
	@mkdir -p $(dir $@)
	@command -v gdbus-codegen >/dev/null && $(PKG_CONFIG) --exists gio-2.0 || \
		{ echo "$@: needs gdbus-codegen and GIO (make deps: libglib2.0-dev-bin libglib2.0-dev)" >&2; exit 1; }
	gdbus-codegen --interface-prefix org.payterm. --c-namespace Pt \
		--output-directory $(dir $@) --generate-c-code payterm-dbus \
		$(PT_BINDINGS_XML)
	@# the inputs, for the test to compare with the installed XML
	rm -rf $(dir $@)xml && mkdir -p $(dir $@)xml
	cp $(PT_BINDINGS_XML) $(dir $@)xml/
$(PT_BINDINGS_GEN)/payterm-dbus.h: $(PT_BINDINGS_GEN)/payterm-dbus.c

$(B)/obj/gen/tests/vm/bindings/payterm-dbus.o: $(PT_BINDINGS_GEN)/payterm-dbus.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(PT_BINDINGS_GEN_CFLAGS) $(PT_BINDINGS_CFLAGS) \
		-I$(PT_BINDINGS_GEN) -c -o $@ $<

$(B)/obj/tests/vm/bindings/client.o: tests/vm/bindings/client.c \
		$(PT_BINDINGS_GEN)/payterm-dbus.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(PT_BINDINGS_CFLAGS) -I$(PT_BINDINGS_GEN) \
		-MMD -MP -c -o $@ $<

$(PT_BINDINGS_CLIENT): $(B)/obj/tests/vm/bindings/client.o \
		$(B)/obj/gen/tests/vm/bindings/payterm-dbus.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PT_BINDINGS_LIBS)
