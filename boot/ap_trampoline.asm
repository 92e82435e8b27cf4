; boot/ap_trampoline.asm - real-mode start of an application processor.
; Part of the boot path (boot/). core/smp copies the bytes between
; ap_trampoline_start and ap_trampoline_end to a free page P below 1 MiB,
; fills in the data block at its end, and sends STARTUP IPIs with vector
; P >> 12: the AP starts here in real mode with CS = P >> 4, IP = 0. In
; small named steps it enters protected mode, then long mode with the
; page table core/smp prepared (which maps P to itself and shares the
; kernel half), then jumps to ap_main in the higher half on its own stack.
; All addresses are offsets from the start (TR(x)), plus P kept in EBX.

%include "x86.inc"

%define TR(x) ((x) - ap_trampoline_start)

AP_GDT_CODE32   equ 0x08
AP_GDT_DATA     equ 0x10
AP_GDT_CODE64   equ 0x18

global ap_trampoline_start
global ap_trampoline_end
global ap_tramp_gdtr_base
global ap_tramp_jmp32
global ap_tramp_jmp64
global ap_tramp_cr3
global ap_tramp_stack
global ap_tramp_entry
global ap_tramp_arg

section .rodata
align 16
ap_trampoline_start:

bits 16
    cli
    cld
    mov ax, cs
    mov ds, ax
    xor ebx, ebx
    mov bx, ax
    shl ebx, 4                              ; EBX = P, the page we run in
    lgdt [TR(ap_tramp_gdtr)]
    ; a complete CR0: INIT leaves caching disabled (CD, NW set); clear them
    mov eax, cr0
    and eax, ~(CR0_CD | CR0_NW)
    or eax, CR0_PE
    mov cr0, eax
    jmp dword far [TR(ap_tramp_jmp32)]      ; to protected_mode (offset filled in by core/smp)

bits 32
ap_protected_mode:
    mov ax, AP_GDT_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    ; long mode: PAE, the prepared page table, EFER.LME/NXE, paging + WP
    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax
    mov eax, [ebx + TR(ap_tramp_cr3)]
    mov cr3, eax
    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_LME | EFER_NXE
    wrmsr
    mov eax, cr0
    or eax, CR0_PG | CR0_WP
    mov cr0, eax
    jmp far [ebx + TR(ap_tramp_jmp64)]      ; to long_mode

bits 64
ap_long_mode:
    mov ax, AP_GDT_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov rsp, [rbx + TR(ap_tramp_stack)]
    mov rdi, [rbx + TR(ap_tramp_arg)]
    mov rax, [rbx + TR(ap_tramp_entry)]
    xor ebp, ebp
    push 0                                  ; a zero return address ends backtraces
    jmp rax                                 ; ap_main(struct cpu *), never returns

align 16
ap_tramp_gdt:
    dq 0
    dq 0x00CF9A000000FFFF                   ; 0x08: 32-bit code
    dq 0x00CF92000000FFFF                   ; 0x10: data
    dq 0x00AF9A000000FFFF                   ; 0x18: 64-bit code
ap_tramp_gdt_end:

; ---- filled in by core/smp before each start -------------------------------
align 8
ap_tramp_gdtr:
    dw ap_tramp_gdt_end - ap_tramp_gdt - 1
ap_tramp_gdtr_base:
    dd 0                                    ; P + TR(ap_tramp_gdt)
align 8
ap_tramp_jmp32:
    dd 0                                    ; P + TR(ap_protected_mode)
    dw AP_GDT_CODE32
align 8
ap_tramp_jmp64:
    dd 0                                    ; P + TR(ap_long_mode)
    dw AP_GDT_CODE64
align 8
ap_tramp_cr3:   dq 0                        ; page table, below 4 GiB
ap_tramp_stack: dq 0                        ; top of the AP's kernel stack
ap_tramp_entry: dq 0                        ; ap_main
ap_tramp_arg:   dq 0                        ; its struct cpu
ap_trampoline_end:

; offsets core/smp needs to fill in the jumps
global ap_tramp_off_protected_mode
global ap_tramp_off_long_mode
global ap_tramp_off_gdt
ap_tramp_off_protected_mode equ TR(ap_protected_mode)
ap_tramp_off_long_mode      equ TR(ap_long_mode)
ap_tramp_off_gdt            equ TR(ap_tramp_gdt)
