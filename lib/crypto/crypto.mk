# libpaytermcrypto (issue 3, docs/crypto.md): the payment crypto library,
# its Check unit tests and benchmark.  Linked by paytermd, payterm-keytool,
# payterm-server and payterm-bank, hence lib/ and not daemon/.  The top-level
# Makefile includes lib/*/*.mk before the other fragments: their rules name
# $(PT_CRYPTO_LIB) as a prerequisite, which make expands when it reads them.
#
# Two builds of the same sources:
#  - libpaytermcrypto.a for the in-tree programs and tests.  paytermd is a
#    security boundary: with its crypto linked in statically, no
#    LD_LIBRARY_PATH, LD_PRELOAD or replaced .so can swap the code that
#    handles keys and PINs.  The tests also reach the key store's fault hook,
#    which only the archive exposes.
#  - libpaytermcrypto.so.0.1.0 (packages libpaytermcrypto0 / -dev) for other
#    programs; it exports exactly the public API (libpaytermcrypto.map).

# Hex is libpaytermcommon's (lib/common/hex.c, which wipes with wipe.c):
# both objects go into this library too, so that its users need no second
# archive and the .so stays self-contained (the version script keeps the
# ptc_ symbols local).  A program that links both archives gets one copy:
# a member is pulled only for a symbol still undefined.
PT_CRYPTO_SRCS := $(sort $(wildcard lib/crypto/*.c)) lib/common/hex.c \
	lib/common/wipe.c
PT_CRYPTO_OBJS := $(PT_CRYPTO_SRCS:%.c=$(B)/obj/%.o)
PT_CRYPTO_LIB := $(B)/libpaytermcrypto.a
PT_CRYPTO_LDLIBS = $(call pkg_libs,openssl) -lpthread

LIBS += $(PT_CRYPTO_LIB)

$(PT_CRYPTO_LIB): $(PT_CRYPTO_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

# ---- shared library ----------------------------------------------------
# Used by the install rules (libpaytermcrypto0 / libpaytermcrypto-dev):
#   PT_CRYPTO_SO              the real file; PT_CRYPTO_SONAME its DT_SONAME
#   PT_CRYPTO_PUBLIC_HEADERS  go to $(INCLUDEDIR)/payterm/
#   PT_CRYPTO_PC              payterm-crypto.pc for $(LIBDIR)/pkgconfig/
# keystore_test.h (fault injection for the crash tests) stays private.
PT_CRYPTO_VERSION := 0.1.0
PT_CRYPTO_SONAME := libpaytermcrypto.so.0
PT_CRYPTO_SO := $(B)/libpaytermcrypto.so.$(PT_CRYPTO_VERSION)
PT_CRYPTO_LINKS := $(B)/$(PT_CRYPTO_SONAME) $(B)/libpaytermcrypto.so
PT_CRYPTO_PUBLIC_HEADERS := lib/crypto/payterm_crypto.h \
	$(addprefix lib/crypto/pt_,err.h util.h prim.h dukpt.h pinblock.h tr31.h \
	keystore.h)
PT_CRYPTO_PC := $(B)/payterm-crypto.pc
PT_CRYPTO_MAP := lib/crypto/libpaytermcrypto.map

PT_CRYPTO_PIC_OBJS := $(PT_CRYPTO_SRCS:%.c=$(B)/obj/pic/%.o)

$(PT_CRYPTO_PIC_OBJS): $(B)/obj/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -fPIE,$(ALL_CFLAGS)) -fPIC $(PKG_CFLAGS) -MMD -MP \
		-c -o $@ $<

# -pie is for executables; --no-undefined makes a missing libcrypto
# dependency a link error instead of a load-time one.
$(PT_CRYPTO_SO): $(PT_CRYPTO_PIC_OBJS) $(PT_CRYPTO_MAP)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -pie,$(LDFLAGS)) -shared -Wl,-soname,$(PT_CRYPTO_SONAME) \
		-Wl,--version-script=$(PT_CRYPTO_MAP) -Wl,--no-undefined \
		-o $@ $(PT_CRYPTO_PIC_OBJS) $(call pkg_libs,libcrypto) -lpthread

$(PT_CRYPTO_LINKS): $(PT_CRYPTO_SO)
	ln -sfn $(if $(filter %.so,$@),$(PT_CRYPTO_SONAME),$(notdir $<)) $@

# ---- pkg-config --------------------------------------------------------
# Same directory variables (and defaults) as the install rules.
PREFIX ?= /usr
LIBDIR ?= $(PREFIX)/lib/$(shell dpkg-architecture -qDEB_HOST_MULTIARCH \
	2>/dev/null || $(CC) -print-multiarch)
INCLUDEDIR ?= $(PREFIX)/include

# $(call pt_crypto_pc,PREFIX,LIBDIR,INCLUDEDIR): the .pc text on stdout.
# Directories under PREFIX are written as ${prefix}/..., so
# `pkg-config --define-variable=prefix=...` relocates them.
pt_under_prefix = $(patsubst $(1)/%,$${prefix}/%,$(2))
pt_crypto_pc = sed -e 's|@PREFIX@|$(1)|g' \
	-e 's|@LIBDIR@|$(call pt_under_prefix,$(1),$(2))|g' \
	-e 's|@INCLUDEDIR@|$(call pt_under_prefix,$(1),$(3))|g' \
	-e 's|@VERSION@|$(PT_CRYPTO_VERSION)|g' lib/crypto/payterm-crypto.pc.in

# Rewritten on every make run, replaced only when PREFIX, LIBDIR or
# INCLUDEDIR changed, so `make install PREFIX=...` never installs a stale one.
$(PT_CRYPTO_PC): lib/crypto/payterm-crypto.pc.in pt-crypto-pc-always
	@mkdir -p $(dir $@)
	@$(call pt_crypto_pc,$(PREFIX),$(LIBDIR),$(INCLUDEDIR)) >$@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv -f $@.tmp $@
.PHONY: pt-crypto-pc-always

# The uninstalled variant (pkg-config prefers NAME-uninstalled.pc) and a
# copy of the public headers only, laid out as installed: what
# tests/e2e/t-libcrypto-so builds a third-party program against.
PT_CRYPTO_STAGE := $(B)/include/payterm
PT_CRYPTO_STAGED := $(PT_CRYPTO_PUBLIC_HEADERS:lib/crypto/%=$(PT_CRYPTO_STAGE)/%)
PT_CRYPTO_PC_UNINST := $(B)/payterm-crypto-uninstalled.pc

$(PT_CRYPTO_STAGED): $(PT_CRYPTO_STAGE)/%: lib/crypto/%
	@mkdir -p $(dir $@)
	cp $< $@

$(PT_CRYPTO_PC_UNINST): lib/crypto/payterm-crypto.pc.in
	@mkdir -p $(dir $@)
	$(call pt_crypto_pc,$(abspath $(B)),$(abspath $(B)),$(abspath $(B)/include)) >$@

LIBS += $(PT_CRYPTO_SO) $(PT_CRYPTO_LINKS) $(PT_CRYPTO_PC) \
	$(PT_CRYPTO_PC_UNINST) $(PT_CRYPTO_STAGED)

# ---- tests and benchmark -----------------------------------------------
# Tests and benchmarks include the library headers by name.
$(B)/obj/tests/unit/crypto/%.o $(B)/obj/tests/bench/%.o: \
	BASE_CFLAGS += -Ilib/crypto \
	-DPT_VECTOR_DIR='"$(CURDIR)/tests/unit/crypto/vectors"'

# One Check binary per tests/unit/crypto/test_<name>.c -> crypto_<name>;
# tests/unit/crypto/common.c holds shared helpers.
PT_CRYPTO_TEST_SRCS := $(sort $(wildcard tests/unit/crypto/test_*.c))
PT_CRYPTO_TESTS := $(PT_CRYPTO_TEST_SRCS:tests/unit/crypto/test_%.c=$(B)/tests/unit/crypto_%)
UNIT_TESTS += $(PT_CRYPTO_TESTS)

$(B)/tests/unit/crypto_%: $(B)/obj/tests/unit/crypto/test_%.o \
		$(B)/obj/tests/unit/crypto/common.o $(PT_CRYPTO_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pkg_libs,check jansson) $(PT_CRYPTO_LDLIBS)

# The keystore tests exercise the keytool too.
$(B)/tests/unit/crypto_keytool: | $(B)/payterm-keytool

PT_CRYPTO_BENCH := $(B)/bench/crypto
BENCHES += $(PT_CRYPTO_BENCH)
$(PT_CRYPTO_BENCH): $(B)/obj/tests/bench/crypto_bench.o $(PT_CRYPTO_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PT_CRYPTO_LDLIBS)
