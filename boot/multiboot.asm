; boot/multiboot.asm - the multiboot2 header (and a minimal multiboot1 header).
; Part of the boot path (boot/): GRUB finds these in the first 32 KiB of
; basalt.elf. The multiboot2 header asks for everything the kernel reads at
; boot. The multiboot1 header exists only so that a `multiboot` (v1) load
; reaches the trampoline, which then reports the wrong loader clearly.

%include "x86.inc"

section .multiboot progbits alloc noexec nowrite align=8

align 8
mb2_header:
    dd MB2_HEADER_MAGIC
    dd MB2_ARCH_I386
    dd mb2_header_end - mb2_header
    dd 0x100000000 - (MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))

    ; Information request: what the kernel needs from the loader.
align 8
.info_request:
    dw MB2_TAG_INFO_REQUEST, 0
    dd .info_request_end - .info_request
    dd MB2_INFO_CMDLINE
    dd MB2_INFO_LOADER_NAME
    dd MB2_INFO_MODULE
    dd MB2_INFO_BASIC_MEMINFO
    dd MB2_INFO_MMAP
    dd MB2_INFO_FRAMEBUFFER
    dd MB2_INFO_ELF_SECTIONS
.info_request_end:

    ; The ACPI and EFI tags do not exist on every machine: ask optionally.
align 8
.info_request_optional:
    dw MB2_TAG_INFO_REQUEST, MB2_TAG_FLAG_OPTIONAL
    dd .info_request_optional_end - .info_request_optional
    dd MB2_INFO_ACPI_OLD
    dd MB2_INFO_ACPI_NEW
    dd MB2_INFO_EFI_MMAP
.info_request_optional_end:

    ; Framebuffer: any mode (0 = no preference). Under BIOS, grub.cfg sets
    ; gfxpayload=text so we keep VGA text; under UEFI GRUB hands over GOP.
align 8
.framebuffer:
    dw MB2_TAG_FRAMEBUFFER, MB2_TAG_FLAG_OPTIONAL
    dd .framebuffer_end - .framebuffer
    dd 0                                ; width
    dd 0                                ; height
    dd 0                                ; depth (0: GRUB picks; see grub.cfg)
.framebuffer_end:

align 8
.module_align:
    dw MB2_TAG_MODULE_ALIGN, 0
    dd 8
align 8
    dw MB2_TAG_END, 0
    dd 8
mb2_header_end:

align 4
mb1_header:
    dd MB1_HEADER_MAGIC
    dd MB1_FLAG_PAGE_ALIGN | MB1_FLAG_MEMORY_INFO
    dd 0x100000000 - (MB1_HEADER_MAGIC + (MB1_FLAG_PAGE_ALIGN | MB1_FLAG_MEMORY_INFO))
