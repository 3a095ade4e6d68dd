# man/: the manual pages, roff man(7) source as they are installed (no
# generator: a distribution builds them with nothing more than make).
MANDIR ?= $(or $(DATADIR),$(PREFIX)/share)/man
MAN1_PAGES := man/vgpu-run.1 man/vgpu-elfpatch.1
MAN5_PAGES := man/vgpu-run.rules.5

.PHONY: install-man
install: install-man
install-man:
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	install -m 0644 $(MAN1_PAGES) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(MAN5_PAGES) $(DESTDIR)$(MANDIR)/man5/
