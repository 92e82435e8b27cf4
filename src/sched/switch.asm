; src/sched/switch.asm - the context switch and the FPU state save/restore.
; Part of sched (called from src/sched/sched.c). sched_switch_stacks saves
; the callee-saved registers on the old stack, stores RSP, loads the new
; one and pops its registers: the caller-saved ones are already saved by
; the C calling convention. A new thread's stack is built by sched.c so
; that the first switch "returns" into sched_thread_entry with the thread
; in r12. Also the xmm/x87 helpers the FPU-isolation ktest uses (the
; kernel C code is built with -mgeneral-regs-only and never touches them).

extern sched_thread_start
global sched_switch_stacks
global sched_thread_entry
global sched_fpu_save
global sched_fpu_restore
global sched_test_fpu_load
global sched_test_fpu_step
global sched_test_fpu_read

section .text
bits 64

; void sched_switch_stacks(uintptr_t *save_rsp, uintptr_t new_rsp)
sched_switch_stacks:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    mov [rdi], rsp
    mov rsp, rsi
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; first code of every new thread: RSP is 16-byte aligned here
sched_thread_entry:
    mov rdi, r12
    xor ebp, ebp                ; backtraces end here
    call sched_thread_start     ; never returns
    ud2

; void sched_fpu_save(void *area, uint64_t use_xsave)
sched_fpu_save:
    test rsi, rsi
    jz .fx
    mov eax, 0xFFFFFFFF
    mov edx, 0xFFFFFFFF
    xsave64 [rdi]
    ret
.fx:
    fxsave64 [rdi]
    ret

; void sched_fpu_restore(const void *area, uint64_t use_xsave)
sched_fpu_restore:
    test rsi, rsi
    jz .fx
    mov eax, 0xFFFFFFFF
    mov edx, 0xFFFFFFFF
    xrstor64 [rdi]
    ret
.fx:
    fxrstor64 [rdi]
    ret

; ktest helpers: void sched_test_fpu_load(int64_t start, int64_t step):
; xmm0 = (double)start, xmm1 = (double)step, x87 st0 = start
sched_test_fpu_load:
    cvtsi2sd xmm0, rdi
    cvtsi2sd xmm1, rsi
    push rdi
    fninit
    fild qword [rsp]
    pop rdi
    ret

; void sched_test_fpu_step(void): xmm0 += xmm1; st0 += 1
sched_test_fpu_step:
    addsd xmm0, xmm1
    fld1
    faddp st1, st0
    ret

; int64_t sched_test_fpu_read(int64_t *x87): returns (int64)xmm0, *x87 = st0
sched_test_fpu_read:
    cvttsd2si rax, xmm0
    fld st0
    fistp qword [rdi]
    ret
