# completion/: bash completion, one file per command, named as
# bash-completion's loader looks them up.
BASHCOMPDIR ?= $(or $(DATADIR),$(PREFIX)/share)/bash-completion/completions

.PHONY: install-completion
install: install-completion
install-completion:
	install -d $(DESTDIR)$(BASHCOMPDIR)
	install -m 0644 completion/vgpu-run completion/vgpu-elfpatch $(DESTDIR)$(BASHCOMPDIR)/
