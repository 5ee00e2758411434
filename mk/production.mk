# In production (issue #11): make install / uninstall into a DESTDIR,
# kdsafe hook and kdsafe.conf on fake trees, the initramfs scripts against
# a fake root, kdsafe snapshot replayed offline (make check).
CHECK_EXTRA += check-install

.PHONY: check-install
check-install: $(B)/kdsafe
	MAKE="$(MAKE)" SRC=$(CURDIR) tests/hook/install.sh
