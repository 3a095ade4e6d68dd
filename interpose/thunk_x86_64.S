/* The shared halves of every thunk.  A generated export is three
 * instructions: endbr64; mov $SLOT, %r11d; jmp vgpu_thunk_common.
 *
 * vgpu_thunk_common saves the argument registers, asks vgpu_enter (C) for
 * the target, restores every argument register and jumps: the callee sees
 * the caller's stack exactly as it was (stack arguments included; only
 * the return address slot may now point at vgpu_thunk_exit, which records
 * the exit and jumps back to the caller's real return address). */
	.text

	.globl vgpu_thunk_common
	.hidden vgpu_thunk_common
	.type vgpu_thunk_common,@function
	.p2align 4
vgpu_thunk_common:
	.cfi_startproc
	push %rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	mov %rsp, %rbp
	.cfi_def_cfa_register %rbp
	sub $192, %rsp
	and $-16, %rsp
	mov %rdi, 0(%rsp)
	mov %rsi, 8(%rsp)
	mov %rdx, 16(%rsp)
	mov %rcx, 24(%rsp)
	mov %r8, 32(%rsp)
	mov %r9, 40(%rsp)
	mov %rax, 48(%rsp)		/* %al: vector registers of a varargs call */
	movups %xmm0, 64(%rsp)
	movups %xmm1, 80(%rsp)
	movups %xmm2, 96(%rsp)
	movups %xmm3, 112(%rsp)
	movups %xmm4, 128(%rsp)
	movups %xmm5, 144(%rsp)
	movups %xmm6, 160(%rsp)
	movups %xmm7, 176(%rsp)
	mov %r11d, %edi
	mov %rsp, %rsi
	lea 8(%rbp), %rdx
	call vgpu_enter
	mov %rax, %r11
	mov 0(%rsp), %rdi
	mov 8(%rsp), %rsi
	mov 16(%rsp), %rdx
	mov 24(%rsp), %rcx
	mov 32(%rsp), %r8
	mov 40(%rsp), %r9
	mov 48(%rsp), %rax
	movups 64(%rsp), %xmm0
	movups 80(%rsp), %xmm1
	movups 96(%rsp), %xmm2
	movups 112(%rsp), %xmm3
	movups 128(%rsp), %xmm4
	movups 144(%rsp), %xmm5
	movups 160(%rsp), %xmm6
	movups 176(%rsp), %xmm7
	leave
	.cfi_def_cfa %rsp, 8
	jmp *%r11
	.cfi_endproc
	.size vgpu_thunk_common, .-vgpu_thunk_common

/* Where a traced call returns: record the exit, then go back. */
	.globl vgpu_thunk_exit
	.hidden vgpu_thunk_exit
	.type vgpu_thunk_exit,@function
	.p2align 4
vgpu_thunk_exit:
	endbr64
	sub $56, %rsp
	mov %rax, 0(%rsp)
	mov %rdx, 8(%rsp)
	movups %xmm0, 16(%rsp)
	movups %xmm1, 32(%rsp)
	mov %rbx, 48(%rsp)
	mov %rsp, %rdi
	/* The caller's stack was 16-byte aligned at its call; do not
	 * count on it. */
	mov %rsp, %rbx
	and $-16, %rsp
	call vgpu_exit
	mov %rbx, %rsp
	mov 48(%rsp), %rbx
	mov %rax, %r11
	mov 0(%rsp), %rax
	mov 8(%rsp), %rdx
	movups 16(%rsp), %xmm0
	movups 32(%rsp), %xmm1
	add $56, %rsp
	jmp *%r11
	.size vgpu_thunk_exit, .-vgpu_thunk_exit

/* The target of a call that a fault-injection rule or a missing backend
 * function answers: vgpu_exit puts the chosen value in %rax. */
	.globl vgpu_fake_ret
	.hidden vgpu_fake_ret
	.type vgpu_fake_ret,@function
	.p2align 4
vgpu_fake_ret:
	endbr64
	xor %eax, %eax
	ret
	.size vgpu_fake_ret, .-vgpu_fake_ret

/* The same without a frame to carry the value (nesting too deep). */
	.globl vgpu_missing_ret
	.hidden vgpu_missing_ret
	.type vgpu_missing_ret,@function
	.p2align 4
vgpu_missing_ret:
	endbr64
	mov vgpu_missing_code(%rip), %eax
	ret
	.size vgpu_missing_ret, .-vgpu_missing_ret

/* The same for a function that returns a const char *. */
	.globl vgpu_missing_text_ret
	.hidden vgpu_missing_text_ret
	.type vgpu_missing_text_ret,@function
	.p2align 4
vgpu_missing_text_ret:
	endbr64
	lea missing_text(%rip), %rax
	ret
	.size vgpu_missing_text_ret, .-vgpu_missing_text_ret

	.section .rodata
missing_text:
	.string "not provided by the vgpu-run backend"
	.text

/* Thunks for pointers handed out at run time (cuGetProcAddress results,
 * export-table slots): a pool of fixed 16-byte stubs, so no code is ever
 * written at run time.  Stub k uses slot VGPU_POOL_BIT | k. */
	.globl vgpu_pool
	.hidden vgpu_pool
	.type vgpu_pool,@function
	.p2align 4
vgpu_pool:
	.set k, 0
	.rept 4096
	.p2align 4
	endbr64
	mov $(0x80000000 + k), %r11d
	jmp vgpu_thunk_common
	.set k, k + 1
	.endr
	.size vgpu_pool, .-vgpu_pool

	.section .note.GNU-stack,"",@progbits
