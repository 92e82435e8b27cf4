; boot/boot32.asm - the 32-bit multiboot2 trampoline into 64-bit long mode.
; Part of the boot path (boot/): GRUB jumps to boot_entry32 in 32-bit
; protected mode with paging off. Each step below is a small named routine;
; a failed check prints a message on COM1 and the VGA text screen and halts
; (never a triple fault). The last step jumps to kernel_entry64
; (boot/entry64.asm) in the higher half.
;
; Everything here is linked at its physical address (section .boot.*), so
; 32-bit code only ever names low addresses.

%include "x86.inc"

extern kernel_entry64

global boot_entry32
global boot_mb_magic
global boot_mb_info
global boot_pml4

section .boot.text progbits alloc exec nowrite align=16
bits 32

boot_entry32:
    cli
    cld
    mov esp, boot_stack32_top
    mov [boot_mb_magic], eax
    mov [boot_mb_info], ebx
    call serial_init32
    call check_multiboot
    call check_cpuid
    call check_long_mode
    call build_page_tables
    call enable_long_mode
    lgdt [boot_gdt_ptr]
    jmp BOOT_GDT_CODE64:long_mode_start

; --- step: the loader must be multiboot2 ----------------------------------
check_multiboot:
    mov eax, [boot_mb_magic]
    cmp eax, MB2_BOOTLOADER_MAGIC
    je .ok
    mov esi, msg_multiboot1
    cmp eax, MB1_BOOTLOADER_MAGIC
    je boot_fail
    mov esi, msg_bad_magic
    jmp boot_fail
.ok:
    ret

; --- step: CPUID must exist (EFLAGS.ID can be toggled) --------------------
check_cpuid:
    pushfd
    pop eax
    mov ecx, eax
    xor eax, EFLAGS_ID
    push eax
    popfd
    pushfd
    pop eax
    push ecx
    popfd
    cmp eax, ecx
    je .no_cpuid
    ret
.no_cpuid:
    mov esi, msg_no_cpuid
    jmp boot_fail

; --- step: long mode, PAE and NX must be present --------------------------
check_long_mode:
    mov eax, CPUID_LEAF_FEATURES
    cpuid
    mov esi, msg_no_pae
    test edx, CPUID_1_EDX_PAE
    jz boot_fail
    mov esi, msg_no_msr
    test edx, CPUID_1_EDX_MSR
    jz boot_fail
    mov eax, CPUID_EXT_MAX
    cpuid
    mov esi, msg_no_long_mode
    cmp eax, CPUID_EXT_FEATURES
    jb boot_fail
    mov eax, CPUID_EXT_FEATURES
    cpuid
    mov esi, msg_no_long_mode
    test edx, CPUID_EXT_EDX_LM
    jz boot_fail
    mov esi, msg_no_nx
    test edx, CPUID_EXT_EDX_NX
    jz boot_fail
    ret

; --- step: early page tables ----------------------------------------------
; The first EARLY_MAP_GIB GiB are mapped with 2 MiB pages three times:
; identity (for this trampoline), at the direct map 0xffff800000000000, and
; the first GiB at KERNEL_VMA. src/mm replaces these tables later.
build_page_tables:
    ; zero all early tables (the loader may not zero .boot.bss)
    mov edi, boot_page_tables
    mov ecx, (boot_page_tables_end - boot_page_tables) / 4
    xor eax, eax
    rep stosd

    ; PD entries: 2 MiB pages covering 0 .. EARLY_MAP_GIB GiB
    mov edi, boot_pd
    mov eax, PTE_PRESENT | PTE_WRITABLE | PTE_HUGE
    xor edx, edx                        ; high dword of the physical address
    mov ecx, PT_ENTRIES * EARLY_MAP_GIB
.fill_pd:
    mov [edi], eax
    mov [edi + 4], edx
    add eax, HUGE_PAGE_SIZE
    adc edx, 0
    add edi, 8
    loop .fill_pd

    ; PDPT (low): one entry per GiB pointing at the PDs
    mov edi, boot_pdpt_low
    mov eax, boot_pd + (PTE_PRESENT | PTE_WRITABLE)
    mov ecx, EARLY_MAP_GIB
.fill_pdpt:
    mov [edi], eax
    add eax, PAGE_SIZE
    add edi, 8
    loop .fill_pdpt

    ; PDPT (high): KERNEL_VMA maps the first GiB
    mov dword [boot_pdpt_high + PDPT_INDEX_KERNEL * 8], boot_pd + (PTE_PRESENT | PTE_WRITABLE)

    ; PML4: identity, direct map, kernel
    mov eax, boot_pdpt_low + (PTE_PRESENT | PTE_WRITABLE)
    mov [boot_pml4], eax
    mov [boot_pml4 + PML4_INDEX_DIRECT_MAP * 8], eax
    mov dword [boot_pml4 + PML4_INDEX_KERNEL * 8], boot_pdpt_high + (PTE_PRESENT | PTE_WRITABLE)
    ret

; --- step: PAE, EFER.LME/NXE, CR3, paging and write protection ------------
enable_long_mode:
    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax
    mov eax, boot_pml4
    mov cr3, eax
    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_LME | EFER_NXE
    wrmsr
    mov eax, cr0
    or eax, CR0_PG | CR0_WP | CR0_PE
    mov cr0, eax
    ret

; --- failure path: print ESI (NUL-terminated) on COM1 and VGA, halt -------
boot_fail:
    push esi
    mov esi, msg_prefix
    call serial_puts32
    mov esi, [esp]
    call serial_puts32
    mov esi, msg_halt
    call serial_puts32
    mov edi, VGA_TEXT_BASE
    mov esi, msg_prefix
    call vga_puts32
    pop esi
    call vga_puts32
.halt:
    cli
    hlt
    jmp .halt

; serial_init32: COM1 at 115200 8N1, FIFOs on
serial_init32:
    mov dx, COM1_PORT + UART_IER
    xor al, al
    out dx, al
    mov dx, COM1_PORT + UART_LCR
    mov al, UART_LCR_DLAB
    out dx, al
    mov dx, COM1_PORT + UART_THR          ; divisor low byte while DLAB=1
    mov al, UART_DIVISOR_115200
    out dx, al
    mov dx, COM1_PORT + UART_IER          ; divisor high byte while DLAB=1
    xor al, al
    out dx, al
    mov dx, COM1_PORT + UART_LCR
    mov al, UART_LCR_8N1
    out dx, al
    mov dx, COM1_PORT + UART_FCR
    mov al, 0xC7                          ; enable + clear FIFOs, 14-byte trigger
    out dx, al
    mov dx, COM1_PORT + UART_MCR
    mov al, 0x03                          ; DTR | RTS
    out dx, al
    ret

; serial_puts32: ESI = NUL-terminated string
serial_puts32:
.next:
    lodsb
    test al, al
    jz .done
    mov ah, al
    mov dx, COM1_PORT + UART_LSR
.wait:
    in al, dx
    test al, UART_LSR_THR_EMPTY
    jz .wait
    mov dx, COM1_PORT + UART_THR
    mov al, ah
    out dx, al
    jmp .next
.done:
    ret

; vga_puts32: ESI = NUL-terminated string, written at EDI on the text screen
; (EDI advances, so two calls print one after the other)
vga_puts32:
    mov ah, VGA_ATTR_ERROR
.next:
    lodsb
    test al, al
    jz .done
    stosw
    jmp .next
.done:
    ret

; --- 64-bit code still running from the identity map ----------------------
bits 64
long_mode_start:
    mov ax, BOOT_GDT_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor ax, ax
    mov fs, ax
    mov gs, ax
    mov rax, kernel_entry64
    jmp rax

section .boot.data progbits alloc noexec write align=16

align 16
boot_gdt:
    dq 0                                  ; null
    dq 0x00AF9A000000FFFF                 ; 0x08: 64-bit code, DPL0
    dq 0x00CF92000000FFFF                 ; 0x10: data, DPL0
boot_gdt_end:
boot_gdt_ptr:
    dw boot_gdt_end - boot_gdt - 1
    dd boot_gdt

boot_mb_magic:  dd 0
boot_mb_info:   dd 0

msg_prefix:       db "basalt: boot failed: ", 0
msg_halt:         db 13, 10, "basalt: halted.", 13, 10, 0
msg_multiboot1:   db "loaded by a multiboot1 loader; Basalt needs multiboot2 (use 'multiboot2' in grub.cfg)", 0
msg_bad_magic:    db "bad boot magic in EAX: not loaded by a multiboot2 loader", 0
msg_no_cpuid:     db "this CPU has no CPUID instruction; Basalt needs an x86-64 CPU", 0
msg_no_pae:       db "this CPU lacks PAE; Basalt needs an x86-64 CPU", 0
msg_no_msr:       db "this CPU lacks MSRs; Basalt needs an x86-64 CPU", 0
msg_no_long_mode: db "this CPU does not support long mode (x86-64); Basalt needs a 64-bit CPU", 0
msg_no_nx:        db "this CPU lacks the NX bit (no-execute); Basalt needs it for W^X", 0

section .boot.bss nobits alloc noexec write align=4096

align 4096
boot_page_tables:
boot_pml4:      resb PAGE_SIZE
boot_pdpt_low:  resb PAGE_SIZE
boot_pdpt_high: resb PAGE_SIZE
boot_pd:        resb PAGE_SIZE * EARLY_MAP_GIB
boot_page_tables_end:

align 16
boot_stack32:   resb 1024
boot_stack32_top:
