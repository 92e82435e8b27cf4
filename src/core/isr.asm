; src/core/isr.asm - interrupt and exception entry stubs.
; Part of core: one stub per vector (0-255). Each makes the stack look the
; same (a dummy error code where the CPU pushes none, then the vector
; number), saves every general register into struct trap_frame
; (include/core/trap.h) and calls trap_dispatch. On return it restores the
; registers and irets. User-mode entry (swapgs) arrives with user space.

extern trap_dispatch
global isr_stub_table

section .text
bits 64

%macro ISR_NOERR 1
isr_stub_%1:
    push 0
    push %1
    jmp isr_common
%endmacro

%macro ISR_ERR 1
isr_stub_%1:
    push %1
    jmp isr_common
%endmacro

; Vectors where the CPU pushes an error code (Intel SDM vol. 3 table 6-1).
%define HAS_ERROR(v) ((v) == 8 || (v) == 10 || (v) == 11 || (v) == 12 || (v) == 13 || (v) == 14 || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

%assign v 0
%rep 256
%if HAS_ERROR(v)
    ISR_ERR v
%else
    ISR_NOERR v
%endif
%assign v v + 1
%endrep

isr_common:
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    cld
    mov rdi, rsp
    ; the frame is 22 quadwords and the CPU aligned RSP to 16 before
    ; pushing, so RSP is 16-byte aligned here as the ABI wants for a call
    call trap_dispatch
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    add rsp, 16                 ; vector and error code
    iretq

section .rodata
align 8
isr_stub_table:
%assign v 0
%rep 256
    dq isr_stub_ %+ v
%assign v v + 1
%endrep
