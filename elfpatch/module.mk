# elfpatch/: vgpu-elfpatch, in-place ELF dynamic-section editor.
ELFPATCH_SRC := $(filter-out elfpatch/fuzz_reader.c,$(sort $(wildcard elfpatch/*.c)))
ELFPATCH_OBJ := $(patsubst %.c,$(OBJ)/exe/%.o,$(ELFPATCH_SRC) common/errbuf.c \
	common/out_file.c)

$(BIN)/vgpu-elfpatch: $(ELFPATCH_OBJ)
	@mkdir -p $(@D)
	$(call say,LD,$@)$(CC) $(EXE_SAN) $(LDFLAGS) -o $@ $^ $(ELF_LIBS)

ALL_TARGETS += $(BIN)/vgpu-elfpatch
INSTALL_BINS += $(BIN)/vgpu-elfpatch

# `make fuzz`: the libFuzzer target for the ELF reader (needs clang).
ELFPATCH_FUZZ_SRC := elfpatch/fuzz_reader.c elfpatch/elf_image.c \
	elfpatch/edit.c elfpatch/ranges.c elfpatch/verify.c common/errbuf.c
$(BUILD)/fuzz/elfpatch-reader: $(ELFPATCH_FUZZ_SRC) $(wildcard elfpatch/*.h)
	@mkdir -p $(@D)
	$(call say,CC,$@)clang -std=gnu11 -O1 -g -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
		-Ielfpatch -Icommon $(CPPFLAGS) $(LDFLAGS) -o $@ $(ELFPATCH_FUZZ_SRC) $(ELF_LIBS)
fuzz: $(BUILD)/fuzz/elfpatch-reader
