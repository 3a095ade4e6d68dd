# rules/: shipped rule files, copied beside the binaries so a build tree
# and an installed tree look the same to vgpu-run.
RULES_SRC := $(wildcard rules/*.rules)
RULES_OUT := $(patsubst rules/%,$(BUILD)/share/vgpu-run/rules/%,$(RULES_SRC))

$(BUILD)/share/vgpu-run/rules/%.rules: rules/%.rules
	@mkdir -p $(@D)
	$(call say,CP,$@)cp $< $@

ALL_TARGETS += $(RULES_OUT)
INSTALL_DATA += $(RULES_SRC)
