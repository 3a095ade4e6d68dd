# tracer/: vgpu-run (supervisor and report mode)
TRACER_SRC := $(sort $(wildcard tracer/*.c))
TRACER_OBJ := $(patsubst %.c,$(OBJ)/exe/%.o,$(TRACER_SRC))
COMMON_EXTRA_SRC += common/rules.c common/rules_file.c common/elf_soname.c \
	common/elf_exports.c common/export_table_ids.c common/trace_zstd.c
# Compressed traces (-o FILE.zst, report): vgpu-run only.
TRACER_LIBS += $(shell pkg-config --libs libzstd 2>/dev/null || echo -lzstd)

$(BIN)/vgpu-run: $(TRACER_OBJ) $(COMMON_EXE_OBJ)
	@mkdir -p $(@D)
	$(call say,LD,$@)$(CC) $(EXE_SAN) $(LDFLAGS) -o $@ $^ $(SECCOMP_LIBS) $(ELF_LIBS) $(TRACER_LIBS) -pthread

ALL_TARGETS += $(BIN)/vgpu-run
INSTALL_BINS += $(BIN)/vgpu-run

# Report mode embeds the decode table (common/api_decode.txt) as a C
# string, so it works from any install without a data file.
$(OBJ)/exe/tracer/report_decode.o: $(BUILD)/gen/api_decode.inc
$(BUILD)/gen/api_decode.inc: common/api_decode.txt
	@mkdir -p $(@D)
	$(call say,GEN,$@)sed -e 's/\\/\\\\/g; s/"/\\"/g; s/.*/"&\\n"/' $< >$@

# `make fuzz [FUZZ_TIME=S]`: the report's trace-reader fuzz target, run for
# S seconds (the test suite runs it for 10).
FUZZ_TIME ?= 300
fuzz: $(BUILD)/gen/api_decode.inc
	VGPU_BUILD=$(abspath $(BUILD)) VGPU_FUZZ_TIME=$(FUZZ_TIME) bash tests/report/test_fuzz.sh

# The node agent's files: the runtime wrapper, its jq filter and the
# systemd units, with the install's own paths written in.
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
AGENT_PATHS := sed -e 's|/usr/local/bin|$(BINDIR)|g' \
	-e 's|/usr/local/share/vgpu-run|$(PKGDATADIR)|g'
.PHONY: install-agent
install: install-agent
install-agent:
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(PKGDATADIR) $(DESTDIR)$(SYSTEMDUNITDIR)
	$(AGENT_PATHS) tracer/agent-units/vgpu-runc >$(DESTDIR)$(BINDIR)/vgpu-runc
	chmod 0755 $(DESTDIR)$(BINDIR)/vgpu-runc
	install -m 0644 tracer/agent-oci-config.jq $(DESTDIR)$(PKGDATADIR)/
	for u in vgpu-agent.service vgpu-agent.socket; do \
		$(AGENT_PATHS) tracer/agent-units/$$u >$(DESTDIR)$(SYSTEMDUNITDIR)/$$u; \
	done
