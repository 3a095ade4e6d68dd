/* A "real driver" whose prologues are known byte for byte, for the
 * inline route:
 *   cuInit(flags)          returns 0; a plain prologue
 *   cuDriverGetVersion(v)  *v = 13042 read RIP-relative in the first
 *                          instruction the entry jump displaces
 *   cuDeviceGetCount(n)    *n = 3; its prologue loops back into its
 *                          first bytes, so it must be refused */
	.text
	.globl cuInit
	.type cuInit,@function
	.p2align 4
cuInit:
	endbr64
	push %rbp
	mov %rsp, %rbp
	mov %edi, %eax
	and $0, %eax
	pop %rbp
	ret
	.size cuInit, .-cuInit

	.globl cuDriverGetVersion
	.type cuDriverGetVersion,@function
	.p2align 4
cuDriverGetVersion:
	endbr64
	mov version(%rip), %eax
	test %rdi, %rdi
	je 1f
	mov %eax, (%rdi)
	xor %eax, %eax
	ret
1:	mov $1, %eax
	ret
	.size cuDriverGetVersion, .-cuDriverGetVersion

	.globl cuDeviceGetCount
	.type cuDeviceGetCount,@function
	.p2align 4
cuDeviceGetCount:
	endbr64
1:	shr $1, %esi
	jnz 1b
	movl $3, (%rdi)
	xor %eax, %eax
	ret
	.size cuDeviceGetCount, .-cuDeviceGetCount

	.data
	.p2align 2
version:
	.long 13042

	.section .note.GNU-stack,"",@progbits
