; src/core/kjmp.asm - kjmp_set / kjmp_jump (see include/core/kjmp.h).
; Part of core. struct kjmp layout: rbx, rbp, r12, r13, r14, r15, rsp, rip.
; kjmp_call_on_stack runs a function on another stack (tests of stack guards).

global kjmp_set:function (kjmp_set.end - kjmp_set)
global kjmp_jump:function (kjmp_jump.end - kjmp_jump)
global kjmp_call_on_stack:function (kjmp_call_on_stack.end - kjmp_call_on_stack)

section .text
bits 64

kjmp_set:
    mov [rdi + 0], rbx
    mov [rdi + 8], rbp
    mov [rdi + 16], r12
    mov [rdi + 24], r13
    mov [rdi + 32], r14
    mov [rdi + 40], r15
    lea rdx, [rsp + 8]          ; RSP as it will be after our return
    mov [rdi + 48], rdx
    mov rdx, [rsp]              ; our return address
    mov [rdi + 56], rdx
    xor eax, eax
    ret
.end:

kjmp_jump:
    mov eax, esi
    test eax, eax
    jnz .nonzero
    inc eax
.nonzero:
    mov rbx, [rdi + 0]
    mov rbp, [rdi + 8]
    mov r12, [rdi + 16]
    mov r13, [rdi + 24]
    mov r14, [rdi + 32]
    mov r15, [rdi + 40]
    mov rsp, [rdi + 48]
    jmp [rdi + 56]
.end:

; void kjmp_call_on_stack(void (*fn)(void *), void *arg, uintptr_t stack_top)
kjmp_call_on_stack:
    push rbp
    mov rbp, rsp
    mov rsp, rdx                ; the new stack (16-byte aligned top)
    push rbp                    ; our frame on the old stack, to come back to
    sub rsp, 8                  ; keep the call 16-byte aligned
    mov rax, rdi
    mov rdi, rsi
    call rax
    add rsp, 8
    pop rsp                     ; back on the old stack, at our frame
    pop rbp
    ret
.end:

; int probe_read_u64(const void *addr, uint64_t *out)
; Reads 8 bytes at addr into *out and returns 0; if the read faults, the
; trap path (core/trap, trap_fixup) resumes at .fault, which returns -EFAULT.
global probe_read_u64:function (probe_read_end - probe_read_u64)
global probe_read_insn
global probe_read_fixup
EFAULT equ 14
probe_read_u64:
probe_read_insn:
    mov rax, [rdi]
    mov [rsi], rax
    xor eax, eax
    ret
probe_read_fixup:
    mov eax, -EFAULT
    ret
probe_read_end:
