; boot/entry64.asm - first code in the higher half.
; Part of the boot path (boot/): reached from boot/boot32.asm by an absolute
; jump once long mode is on. It switches to the kernel's boot stack, clears
; .bss, switches to the boot stack and calls kmain (src/core/main.c) with the multiboot2 magic and the
; physical address of the boot information.

extern kmain
extern boot_mb_magic
extern boot_mb_info
extern __bss_start
extern __bss_end

global kernel_entry64:function (kernel_entry64.end - kernel_entry64)
global boot_stack_top
global boot_stack_bottom

BOOT_STACK_SIZE equ 16384

section .text
bits 64

kernel_entry64:
    ; clear .bss first: the boot stack lives there, and nothing is on it yet
    mov rdi, __bss_start
    mov rcx, __bss_end
    sub rcx, rdi
    shr rcx, 3
    xor eax, eax
    rep stosq
    mov rsp, boot_stack_top
    xor ebp, ebp
    mov edi, [boot_mb_magic]
    mov esi, [boot_mb_info]
    push 0                                ; fake return address ends backtraces
    push 0
    mov rbp, rsp
    call kmain
.halt:
    cli
    hlt
    jmp .halt
.end:

; Its own section: src/kernel.ld puts an unmapped guard page right below it.
section .bootstack nobits alloc noexec write align=4096
boot_stack_bottom:
    resb BOOT_STACK_SIZE
boot_stack_top:
