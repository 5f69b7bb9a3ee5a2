# paytermd system integration files; installed by the top-level
# "install" target: this fragment makes it depend on pd-install-files.
pd-install-files:
	install -d $(DESTDIR)/usr/lib/systemd/system $(DESTDIR)/usr/lib/sysusers.d \
		$(DESTDIR)/usr/lib/tmpfiles.d $(DESTDIR)/usr/share/dbus-1/system.d \
		$(DESTDIR)/usr/share/dbus-1/system-services \
		$(DESTDIR)/usr/share/polkit-1/actions $(DESTDIR)/usr/share/doc/payterm
	install -m 0644 daemon/systemd/paytermd.service $(DESTDIR)/usr/lib/systemd/system/
	install -m 0644 daemon/systemd/paytermd.sysusers.conf $(DESTDIR)/usr/lib/sysusers.d/paytermd.conf
	install -m 0644 daemon/systemd/paytermd.tmpfiles.conf $(DESTDIR)/usr/lib/tmpfiles.d/paytermd.conf
	install -m 0644 daemon/systemd/org.payterm.Terminal1.conf $(DESTDIR)/usr/share/dbus-1/system.d/
	install -m 0644 daemon/systemd/org.payterm.Terminal1.service $(DESTDIR)/usr/share/dbus-1/system-services/
	install -m 0644 daemon/systemd/org.payterm.policy $(DESTDIR)/usr/share/polkit-1/actions/
	install -m 0644 daemon/systemd/paytermd.conf.example docs/dbus-api.md $(DESTDIR)/usr/share/doc/payterm/
.PHONY: pd-install-files
install: pd-install-files
