/* The inline route: a driver library we did not serve (opened by a path
 * no rule caught) can still be called through a pointer taken before we
 * loaded, which no GOT rewrite reaches.  Each of its exports that we have
 * a thunk for gets its entry patched with a jump to that thunk.  The
 * instructions the jump covers move to a trampoline mapped within
 * +-2 GiB of the library (so every jump is rel32), RIP-relative ones
 * re-aimed, and the trampoline jumps back after them.  endbr64 stays
 * first at the entry and starts every trampoline, so indirect-branch
 * tracking sees a landing pad wherever a pointer lands.
 *
 * A function is refused (and the refusal recorded) when a displaced
 * instruction branches into the displaced bytes, cannot be relocated
 * (loop/jrcxz, a displacement that no longer fits) or the function ends
 * inside them. */
#include <capstone/capstone.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "interposer.h"
#include "inline_hook.h"
#include "loaded_module.h"

#define JMP_LEN 5		/* e9 rel32 */
#define SLOT_BYTES 96		/* trampoline + thunk stub, per function */
#define MAX_DISPLACED 32	/* bytes of prologue a patch may move */

static const uint8_t endbr64[4] = { 0xf3, 0x0f, 0x1e, 0xfa };

struct region {
	uint8_t *base, *next, *end;
};

static bool fits32(int64_t v)
{
	return v >= INT32_MIN && v <= INT32_MAX;
}

static void put32(uint8_t *p, int64_t v)
{
	int32_t x = (int32_t)v;
	memcpy(p, &x, 4);
}

/* Anonymous memory whose every byte is within rel32 of [lo, hi). */
static void *map_near(uintptr_t lo, uintptr_t hi, size_t size)
{
	const uintptr_t step = 1u << 20, reach = (1ull << 31) - (64u << 20);
	for (uintptr_t d = step; d < reach - (hi - lo); d += step) {
		uintptr_t cand[2] = { (lo - d) & ~(step - 1), (hi + d) & ~(step - 1) };
		for (int i = 0; i < 2; i++) {
			if (cand[i] < 0x10000 || cand[i] >= (1ull << 47))
				continue;
			void *p = mmap((void *)cand[i], size, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
				       -1, 0);
			if (p == MAP_FAILED)
				continue;
			if ((uintptr_t)p == cand[i])
				return p;
			munmap(p, size);	/* a kernel without NOREPLACE */
		}
	}
	return NULL;
}

/* Emits one displaced instruction at `out`, aimed as it was at `insn`'s
 * address; returns its new length, or 0 with *why set. */
static size_t relocate(const cs_insn *insn, uint8_t *out, uintptr_t lo,
		       uintptr_t hi, const char **why)
{
	const cs_x86 *x = &insn->detail->x86;
	uintptr_t from = (uintptr_t)insn->address;
	bool relbranch = false;
	for (unsigned g = 0; g < insn->detail->groups_count; g++)
		if (insn->detail->groups[g] == CS_GRP_BRANCH_RELATIVE)
			relbranch = true;
	if (relbranch) {
		if (x->op_count != 1 || x->operands[0].type != X86_OP_IMM) {
			*why = "relative branch without an immediate target";
			return 0;
		}
		uintptr_t target = (uintptr_t)x->operands[0].imm;
		if (target >= lo && target < hi) {
			*why = "relative branch into the patched bytes";
			return 0;
		}
		uint8_t op = insn->bytes[0];
		size_t n;
		if (op == 0xe8 || op == 0xe9 || op == 0xeb) {
			out[0] = op == 0xe8 ? 0xe8 : 0xe9;
			n = 5;
		} else if (op >= 0x70 && op <= 0x7f) {
			out[0] = 0x0f;
			out[1] = (uint8_t)(0x80 | (op & 0xf));
			n = 6;
		} else if (op == 0x0f && (insn->bytes[1] & 0xf0) == 0x80) {
			out[0] = 0x0f;
			out[1] = insn->bytes[1];
			n = 6;
		} else {
			*why = "relative branch that cannot be relocated (loop/jrcxz)";
			return 0;
		}
		int64_t rel = (int64_t)target - (int64_t)((uintptr_t)out + n);
		if (!fits32(rel)) {
			*why = "branch target out of rel32 reach";
			return 0;
		}
		put32(out + n - 4, rel);
		return n;
	}
	memcpy(out, insn->bytes, insn->size);
	for (unsigned i = 0; i < x->op_count; i++) {
		const cs_x86_op *o = &x->operands[i];
		if (o->type != X86_OP_MEM || o->mem.base != X86_REG_RIP)
			continue;
		if (x->encoding.disp_size != 4 || !x->encoding.disp_offset) {
			*why = "RIP-relative operand without a 32-bit displacement";
			return 0;
		}
		int64_t disp = o->mem.disp + (int64_t)from - (int64_t)(uintptr_t)out;
		if (!fits32(disp)) {
			*why = "RIP-relative target out of reach of the trampoline";
			return 0;
		}
		put32(out + x->encoding.disp_offset, disp);
	}
	return insn->size;
}

static bool ends_flow(const cs_insn *insn)
{
	for (unsigned g = 0; g < insn->detail->groups_count; g++) {
		uint8_t gr = insn->detail->groups[g];
		if (gr == CS_GRP_RET || gr == CS_GRP_IRET)
			return true;
		if (gr == CS_GRP_JUMP && insn->id == X86_INS_JMP)
			return true;
	}
	return insn->id == X86_INS_UD2 || insn->id == X86_INS_HLT;
}

/* Builds the trampoline for fn in r and patches fn's entry to reach
 * `thunk`.  Returns the trampoline, or NULL with *why set. */
static void *hook_one(csh cs, uint8_t *fn, size_t fnsize, void *thunk,
		      struct region *r, const char **why)
{
	size_t keep = memcmp(fn, endbr64, 4) ? 0 : 4;
	uint8_t *entry = fn + keep;
	if (fnsize && fnsize < keep + JMP_LEN) {
		*why = "function shorter than the jump";
		return NULL;
	}
	cs_insn *insn = NULL;
	size_t count = cs_disasm(cs, entry, MAX_DISPLACED, (uintptr_t)entry, 0,
				 &insn);
	size_t len = 0, ninsn = 0;
	while (ninsn < count && len < JMP_LEN) {
		len += insn[ninsn].size;
		if (len < JMP_LEN && ends_flow(&insn[ninsn])) {
			cs_free(insn, count);
			*why = "function ends inside the patched bytes";
			return NULL;
		}
		ninsn++;
	}
	if (len < JMP_LEN) {
		if (count)
			cs_free(insn, count);
		*why = "prologue could not be decoded";
		return NULL;
	}
	uint8_t *tramp = r->next, *out = tramp;
	memcpy(out, endbr64, 4);
	out += 4;
	for (size_t i = 0; i < ninsn; i++) {
		size_t n = relocate(&insn[i], out, (uintptr_t)entry,
				    (uintptr_t)entry + len, why);
		if (!n) {
			cs_free(insn, count);
			return NULL;
		}
		out += n;
	}
	cs_free(insn, count);
	out[0] = 0xe9;			/* back to the rest of the function */
	put32(out + 1, (int64_t)(uintptr_t)(entry + len) - (int64_t)(uintptr_t)(out + 5));
	out += 5;
	/* The entry's jump lands here: endbr64; jmp *0(%rip); .quad thunk */
	uint8_t *stub = out;
	memcpy(stub, endbr64, 4);
	static const uint8_t jmpabs[6] = { 0xff, 0x25, 0, 0, 0, 0 };
	memcpy(stub + 4, jmpabs, 6);
	memcpy(stub + 10, &thunk, 8);
	r->next = (uint8_t *)(((uintptr_t)(stub + 18) + 15) & ~(uintptr_t)15);

	long pg = sysconf(_SC_PAGESIZE);
	uintptr_t p0 = (uintptr_t)entry & ~(uintptr_t)(pg - 1);
	uintptr_t p1 = ((uintptr_t)entry + len + (uintptr_t)pg - 1) & ~(uintptr_t)(pg - 1);
	if (mprotect((void *)p0, p1 - p0, PROT_READ | PROT_WRITE | PROT_EXEC)) {
		*why = "the library's code cannot be made writable";
		return NULL;
	}
	uint8_t patch[MAX_DISPLACED + 16];
	patch[0] = 0xe9;
	put32(patch + 1, (int64_t)(uintptr_t)stub - (int64_t)(uintptr_t)(entry + JMP_LEN));
	/* Nothing branches into the rest (checked): trap if it ever does. */
	memset(patch + JMP_LEN, 0xcc, len - JMP_LEN);
	memcpy(entry, patch, len);
	mprotect((void *)p0, p1 - p0, PROT_READ | PROT_EXEC);
	__builtin___clear_cache((char *)entry, (char *)entry + len);
	return tramp;
}

struct module_range {
	uintptr_t lo, hi;
};

static bool inside(const struct module_range *m, const void *p)
{
	return (uintptr_t)p >= m->lo && (uintptr_t)p < m->hi;
}

struct hook_walk {
	const struct module_range *m;
	const char *module;
	struct region r;
	csh cs;
	void (*note)(const char *key, const char *value);
	unsigned hooked, refused;
	bool has_cuinit;
};

static bool find_cuinit(const char *name, void *addr, size_t size, void *arg)
{
	(void)size;
	struct hook_walk *w = arg;
	if (strcmp(name, "cuInit") || !inside(w->m, addr))
		return true;
	w->has_cuinit = true;
	return false;
}

static bool hook_symbol(const char *name, void *addr, size_t size, void *arg)
{
	struct hook_walk *w = arg;
	int i = vgpu_static_index(name);
	if (i < 0 || !inside(w->m, addr))
		return true;
	if (w->r.next + SLOT_BYTES > w->r.end)
		return false;
	const char *why = NULL;
	void *tramp = hook_one(w->cs, addr, size, vgpu_static_thunks[i], &w->r,
			       &why);
	if (!tramp) {
		char line[600];
		snprintf(line, sizeof(line), "%s: %s: %s", w->module, name, why);
		w->note("inline-refused", line);
		w->refused++;
		return true;
	}
	/* The handler is this very library: it must run the original code,
	 * never the patched entry. */
	if (vgpu_slots[i].target == addr)
		vgpu_slots[i].target = tramp;
	w->hooked++;
	return true;
}

unsigned vgpu_inline_module(const struct dl_phdr_info *info,
			    void (*note)(const char *key, const char *value))
{
	struct module_range m = { UINTPTR_MAX, 0 };
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *p = &info->dlpi_phdr[i];
		if (p->p_type != PT_LOAD)
			continue;
		uintptr_t a = info->dlpi_addr + p->p_vaddr;
		if (a < m.lo)
			m.lo = a;
		if (a + p->p_memsz > m.hi)
			m.hi = a + p->p_memsz;
	}
	if (!info->dlpi_name || !*info->dlpi_name || m.lo >= m.hi)
		return 0;
	struct hook_walk w = { .m = &m, .module = info->dlpi_name, .note = note };
	/* Only a library that defines the driver's entry points itself. */
	vgpu_module_functions(info, find_cuinit, &w);
	if (!w.has_cuinit)
		return 0;
	size_t room = (size_t)vgpu_nstatic * SLOT_BYTES;
	long pg = sysconf(_SC_PAGESIZE);
	room = (room + (size_t)pg - 1) & ~(size_t)(pg - 1);
	w.r.base = map_near(m.lo, m.hi, room);
	char line[600];
	if (!w.r.base) {
		snprintf(line, sizeof(line), "%s: no memory within 2 GiB for trampolines",
			 info->dlpi_name);
		note("inline-refused", line);
		return 0;
	}
	w.r.next = w.r.base;
	w.r.end = w.r.base + room;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &w.cs) != CS_ERR_OK) {
		note("inline-refused", "capstone could not start");
		munmap(w.r.base, room);
		return 0;
	}
	cs_option(w.cs, CS_OPT_DETAIL, CS_OPT_ON);
	vgpu_module_functions(info, hook_symbol, &w);
	cs_close(&w.cs);
	mprotect(w.r.base, room, PROT_READ | PROT_EXEC);
	if (!w.hooked)
		munmap(w.r.base, room);
	snprintf(line, sizeof(line), "%s: inline, %u function(s) hooked, %u refused",
		 info->dlpi_name, w.hooked, w.refused);
	note("route", line);
	return w.hooked;
}
