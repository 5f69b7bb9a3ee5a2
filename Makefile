# payterm top-level Makefile: kernel modules (Kbuild) + userspace programs.
#   make            build everything        make W=1   kernel build with W=1
#   make check      all tests               make bench benchmarks
#   make deps       install Debian packages make install [DESTDIR=...] (mk/install.mk)
#   make demo       the main job (see README)

# Kernel to build against: the newest Debian headers, else the running
# kernel's; or KVER=... of a kernel tools/fetch-kernel unpacked into
# build/kernels/KVER/ (make fetch-kernel).  Recursive (=) on purpose and not
# exported: resolved when a recipe uses them, so `make demo` / `make check`
# see the headers `deps` installed.  Given on the command line, KVER reaches
# tests/check and tests/vm/run too (make exports those), so the VM boots it.
KVER ?= $(or $(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | \
	sed 's|.*/linux-headers-||' | sort -V | tail -n 1),$(shell uname -r))
KERNELS := $(CURDIR)/build/kernels
KDIR ?= $(or $(wildcard $(KERNELS)/$(KVER)/usr/src/linux-headers-$(KVER)), \
	$(wildcard /usr/src/linux-headers-$(KVER)),/lib/modules/$(KVER)/build)
# make fetch-kernel [KSERIES=6.12] [KFLAVOUR=rt-amd64] [KSUITE=bookworm]:
# Debian's newest KSERIES kernel into build/kernels/ (tools/fetch-kernel;
# KSUITE defaults to this release's backports).
KSERIES ?= 6.12
KFLAVOUR ?= amd64
KSUITE ?=

VERSION := 0.1.0

B ?= build
CC ?= cc
PKG_CONFIG ?= pkg-config
CFLAGS ?= -O2 -g
WARNFLAGS := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wno-unused-parameter
BASE_CFLAGS := -std=gnu11 -D_GNU_SOURCE -Iinclude/uapi -Iinclude \
	-fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
ifeq ($(SAN),1)
B := build-asan
CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
BASE_CFLAGS := $(filter-out -D_FORTIFY_SOURCE=2,$(BASE_CFLAGS))
endif
ALL_CFLAGS = $(BASE_CFLAGS) $(WARNFLAGS) $(CFLAGS)
# Every userspace library we build against; fragments pick libs by name:
# $(call pkg_libs,openssl libsystemd).
PKG_ALL := openssl libsystemd libudev check jansson libcurl libevent libevent_openssl sqlite3 libpq
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKG_ALL) 2>/dev/null)
pkg_libs = $(shell $(PKG_CONFIG) --libs $(1))
LDFLAGS += -pie -Wl,-z,relro,-z,now

PROGRAMS :=
UNIT_TESTS :=
BENCHES :=
LIBS :=

.PHONY: fuzz deb check-deb check-upgrade all modules programs userspace check check-unit check-vm bench deps \
	clean demo checkpatch fetch-kernel
all: modules userspace

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(if $(W),W=$(W)) modules

# Userspace components add themselves to PROGRAMS / UNIT_TESTS / BENCHES.
include $(sort $(wildcard lib/*/*.mk)) $(sort $(wildcard daemon/*/*.mk \
	server/*.mk server/*/*.mk tests/*/*.mk tests/*/*/*.mk))

# programs: what gets installed; userspace: that and the unit tests.
programs: $(LIBS) $(PROGRAMS)
userspace: programs $(UNIT_TESTS)

include mk/install.mk

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

# make check: unit tests (plain, ASan/UBSan, Valgrind), the VM suite, e2e,
# fuzz smoke runs; ends with "N passed, N failed". Strict: a test, build,
# tool or case that is missing fails instead of being skipped.
check: deps
	$(MAKE) all
	$(MAKE) SAN=1 userspace
	tests/check --strict

check-unit: userspace
	$(MAKE) SAN=1 userspace
	tests/check --only unit

check-vm: all
	tests/check --only vm

# The long fuzzing campaign (tests/fuzz/campaign; make check runs 15 s of
# each fuzzer): FUZZ_EXECS executions per fuzzer, one at a time.
FUZZ_EXECS ?= 10000000
fuzz: userspace
	tests/fuzz/campaign $(FUZZ_EXECS)

bench: all $(BENCHES)
	tests/bench/run

deps:
	tools/install-deps

demo: deps
	$(MAKE) all
	tools/demo

# Debian packages into build/deb/ (docs/packaging.md); check-deb builds,
# installs, verifies and purges them in a fresh Debian root.
deb:
	tools/make-deb

check-deb:
	tools/fresh-root -- tests/pkg/t-deb

# Debian 12 with payterm installed, upgraded to Debian 13 (~6 min; not in
# make check or CI: docs/packaging.md).
check-upgrade:
	tools/fresh-root -- tests/pkg/t-upgrade

checkpatch:
	tools/checkpatch

fetch-kernel:
	tools/fetch-kernel $(if $(KSUITE),--suite $(KSUITE)) --flavour $(KFLAVOUR) $(KSERIES)

clean:
	[ ! -d $(KDIR) ] || $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf build build-asan

print-%:
	@echo '$($*)'
