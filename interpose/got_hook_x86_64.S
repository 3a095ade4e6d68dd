/* dlsym and dlvsym as the GOT route installs them.  RTLD_NEXT depends on
 * who called: those look-ups tail-jump to the real function, so the
 * dynamic loader still sees the original caller. */
	.text
	.globl vgpu_dlsym_hook
	.hidden vgpu_dlsym_hook
	.type vgpu_dlsym_hook,@function
	.p2align 4
vgpu_dlsym_hook:
	endbr64
	cmp $-1, %rdi
	je 1f
	mov (%rsp), %rdx		/* the caller, for vgpu_dlsym_c */
	jmp vgpu_dlsym_c
1:	jmp *vgpu_real_dlsym(%rip)
	.size vgpu_dlsym_hook, .-vgpu_dlsym_hook

	.globl vgpu_dlvsym_hook
	.hidden vgpu_dlvsym_hook
	.type vgpu_dlvsym_hook,@function
	.p2align 4
vgpu_dlvsym_hook:
	endbr64
	cmp $-1, %rdi
	je 1f
	mov (%rsp), %rcx
	jmp vgpu_dlvsym_c
1:	jmp *vgpu_real_dlvsym(%rip)
	.size vgpu_dlvsym_hook, .-vgpu_dlvsym_hook

	.section .note.GNU-stack,"",@progbits
