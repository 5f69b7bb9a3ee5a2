# SPDX-License-Identifier: GPL-2.0-or-later
# Installation, split the way the Debian packages split it (docs/packaging.md):
#   make install            install-userspace + install-dkms (builds no kernel code)
#   make install-userspace  programs, library, headers, units, bus/polkit/udev files, man pages,
#                           bash completion
#   make install-dkms       module sources + dkms.conf in /usr/src/payterm-VERSION
#   make install-modules    prebuilt .ko for KVER (a developer's shortcut; clashes with DKMS)
#   make uninstall          removes what install-userspace and install-dkms put there
# Every directory is a variable; PREFIX moves all but the udev and systemd
# system directories asked of pkg-config (those are where udev and systemd read).

PREFIX ?= /usr
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MULTIARCH ?= $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || $(CC) -print-multiarch)
LIBDIR ?= $(PREFIX)/lib/$(MULTIARCH)
INCLUDEDIR ?= $(PREFIX)/include
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
DOCDIR ?= $(DATADIR)/doc/payterm
SERVER_DOCDIR ?= $(DOCDIR)
SYSCONFDIR ?= /etc
# $(call pc_dir,VARIABLE,PACKAGE,FALLBACK): a directory from PACKAGE's .pc.
pc_dir = $(or $(shell $(PKG_CONFIG) --define-variable=prefix=$(PREFIX) \
	--variable=$(1) $(2) 2>/dev/null),$(3))
SYSTEMDUNITDIR ?= $(call pc_dir,systemdsystemunitdir,systemd,$(PREFIX)/lib/systemd/system)
SYSUSERSDIR ?= $(call pc_dir,sysusersdir,systemd,$(PREFIX)/lib/sysusers.d)
TMPFILESDIR ?= $(call pc_dir,tmpfilesdir,systemd,$(PREFIX)/lib/tmpfiles.d)
CATALOGDIR ?= $(call pc_dir,catalogdir,systemd,$(PREFIX)/lib/systemd/catalog)
UDEVDIR ?= $(call pc_dir,udevdir,udev,$(PREFIX)/lib/udev)
DBUSSYSTEMDIR ?= $(DATADIR)/dbus-1/system.d
DBUSSERVICEDIR ?= $(DATADIR)/dbus-1/system-services
DBUSIFACEDIR ?= $(DATADIR)/dbus-1/interfaces
POLKITACTIONDIR ?= $(DATADIR)/polkit-1/actions
# bash-completion's own directory when its .pc is there (it loads from it)
BASHCOMPLETIONDIR ?= $(call pc_dir,completionsdir,bash-completion,$(DATADIR)/bash-completion/completions)
DKMSDIR ?= /usr/src/payterm-$(VERSION)

# Files with @VAR@ placeholders: daemon/systemd/*.in, server/systemd/*.in.
SUBST_VARS := BINDIR SBINDIR SYSCONFDIR DOCDIR SERVER_DOCDIR VERSION
subst_sed = sed $(foreach v,$(SUBST_VARS),-e 's|@$(v)@|$($(v))|g')
$(B)/subst/%: %.in FORCE
	@mkdir -p $(dir $@)
	$(subst_sed) $< >$@.tmp && mv $@.tmp $@
FORCE:

# What goes where: "mode source destination-directory [name]" per line.
INSTALL_SBIN := $(B)/paytermd $(B)/payterm-server $(B)/payterm-bank
INSTALL_BIN := $(B)/paytermctl $(B)/payterm-keytool
UNITS := $(B)/subst/daemon/systemd/paytermd.service \
	$(B)/subst/server/systemd/payterm-server.service \
	$(B)/subst/server/systemd/payterm-bank.service \
	server/systemd/payterm-server-merchant.socket \
	server/systemd/payterm-server-terminal.socket
MANPAGES := $(wildcard man/*.[1-8])
DBUS_XML := $(wildcard daemon/dbus/*.xml)

define install_files # mode, directory, files
	install -d $(DESTDIR)$(2)
	$(if $(strip $(3)),install -m $(1) $(3) $(DESTDIR)$(2)/)
endef

.PHONY: install install-userspace install-dkms install-modules uninstall
install: install-userspace install-dkms

install-userspace: programs $(UNITS)
	$(call install_files,0755,$(SBINDIR),$(INSTALL_SBIN))
	$(call install_files,0755,$(BINDIR),$(INSTALL_BIN))
	$(call install_files,0644,$(SYSTEMDUNITDIR),$(UNITS))
	install -d $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR)
	install -m 0644 daemon/systemd/paytermd.sysusers.conf $(DESTDIR)$(SYSUSERSDIR)/paytermd.conf
	install -m 0644 daemon/systemd/paytermd.tmpfiles.conf $(DESTDIR)$(TMPFILESDIR)/paytermd.conf
	install -m 0644 server/systemd/payterm-server.sysusers.conf $(DESTDIR)$(SYSUSERSDIR)/payterm-server.conf
	install -m 0644 server/systemd/payterm-server.tmpfiles.conf $(DESTDIR)$(TMPFILESDIR)/payterm-server.conf
	# journalctl --update-catalog (debhelper's trigger) reads it from there
	$(call install_files,0644,$(CATALOGDIR),daemon/systemd/paytermd.catalog)
	$(call install_files,0644,$(DBUSSYSTEMDIR),daemon/systemd/org.payterm.Terminal1.conf)
	$(call install_files,0644,$(DBUSSERVICEDIR),daemon/systemd/org.payterm.Terminal1.service)
	$(call install_files,0644,$(DBUSIFACEDIR),$(DBUS_XML))
	$(call install_files,0644,$(POLKITACTIONDIR),daemon/systemd/org.payterm.policy)
	$(call install_files,0644,$(UDEVDIR)/rules.d,$(wildcard udev/*.rules))
	$(call install_files,0755,$(UDEVDIR),udev/payterm-claim)
	install -d $(DESTDIR)$(BASHCOMPLETIONDIR)
	install -m 0644 daemon/paytermctl/paytermctl.bash $(DESTDIR)$(BASHCOMPLETIONDIR)/paytermctl
	for m in $(MANPAGES); do s=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s && \
		install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/ || exit 1; done
	$(call install_files,0644,$(DOCDIR),daemon/systemd/paytermd.conf.example $(wildcard docs/*.md))
	# kiosk mode's polkit rules: an example, active only once copied to /etc/polkit-1/rules.d
	$(call install_files,0644,$(DOCDIR)/examples,daemon/systemd/50-payterm-kiosk.rules)
	$(call install_files,0644,$(SERVER_DOCDIR),server/systemd/payterm-server.json.example \
		server/systemd/payterm-bank.json.example docs/payserver.md docs/protocol.md)
	$(if $(PT_CRYPTO_SO),$(MAKE) --no-print-directory install-lib)

# The shared crypto library and the public C headers (libpaytermcrypto-dev).
.PHONY: install-lib
install-lib: $(PT_CRYPTO_SO) $(PT_CRYPTO_PC)
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)/payterm/linux
	install -m 0644 $(PT_CRYPTO_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(PT_CRYPTO_SO)) $(DESTDIR)$(LIBDIR)/$(PT_CRYPTO_SONAME)
	ln -sf $(PT_CRYPTO_SONAME) $(DESTDIR)$(LIBDIR)/libpaytermcrypto.so
	install -m 0644 $(PT_CRYPTO_PC) $(DESTDIR)$(LIBDIR)/pkgconfig/
	install -m 0644 $(PT_CRYPTO_PUBLIC_HEADERS) $(DESTDIR)$(INCLUDEDIR)/payterm/
	install -m 0644 include/uapi/linux/payterm.h $(DESTDIR)$(INCLUDEDIR)/payterm/linux/

# Module sources only (no build output), as DKMS and payterm-dkms want them.
install-dkms:
	install -d $(DESTDIR)$(DKMSDIR)
	find Kbuild include kmod -type f \( -name '*.[ch]' ! -name '*.mod.c' -o -name Kbuild \) | \
		tar -cf - -T - | tar -C $(DESTDIR)$(DKMSDIR) -xf -
	tools/gen-dkms-conf $(VERSION) >$(DESTDIR)$(DKMSDIR)/dkms.conf

install-modules: modules
	install -d $(DESTDIR)/lib/modules/$(KVER)/updates/payterm
	install -m 0644 kmod/*.ko $(DESTDIR)/lib/modules/$(KVER)/updates/payterm/

uninstall:
	rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,$(notdir $(INSTALL_SBIN))) \
		$(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(INSTALL_BIN))) \
		$(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(notdir $(UNITS))) \
		$(DESTDIR)$(SYSUSERSDIR)/paytermd.conf $(DESTDIR)$(TMPFILESDIR)/paytermd.conf \
		$(DESTDIR)$(SYSUSERSDIR)/payterm-server.conf $(DESTDIR)$(TMPFILESDIR)/payterm-server.conf \
		$(DESTDIR)$(CATALOGDIR)/paytermd.catalog \
		$(DESTDIR)$(DBUSSYSTEMDIR)/org.payterm.Terminal1.conf \
		$(DESTDIR)$(DBUSSERVICEDIR)/org.payterm.Terminal1.service \
		$(addprefix $(DESTDIR)$(DBUSIFACEDIR)/,$(notdir $(DBUS_XML))) \
		$(DESTDIR)$(POLKITACTIONDIR)/org.payterm.policy \
		$(addprefix $(DESTDIR)$(UDEVDIR)/rules.d/,$(notdir $(wildcard udev/*.rules))) \
		$(DESTDIR)$(UDEVDIR)/payterm-claim $(DESTDIR)$(BASHCOMPLETIONDIR)/paytermctl \
		$(foreach m,$(MANPAGES),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m))) \
		$(DESTDIR)$(LIBDIR)/libpaytermcrypto.so* $(DESTDIR)$(LIBDIR)/pkgconfig/payterm-crypto.pc
	rm -rf $(DESTDIR)$(DOCDIR) $(DESTDIR)$(SERVER_DOCDIR) $(DESTDIR)$(INCLUDEDIR)/payterm \
		$(DESTDIR)$(DKMSDIR)
