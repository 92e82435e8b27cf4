# cmake/KernelFlags.cmake - compile and link flags shared by every kernel target.
#
# Defines the INTERFACE target basalt_kflags; each subsystem target (core,
# mm, sched, dev, fs, and the kernel executable) links it privately.
# Strict: any warning fails the build. Include directories are not here:
# each target gets only its own layer's and those below (cmake/Layers.cmake).
add_library(basalt_kflags INTERFACE)

target_compile_options(basalt_kflags INTERFACE
    $<$<COMPILE_LANGUAGE:C>:
        -std=gnu11
        -ffreestanding -nostdlib -fno-builtin-printf
        -mno-red-zone -mcmodel=kernel -fno-pic -fno-pie
        -mgeneral-regs-only -mno-mmx -mno-sse -mno-sse2
        -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -fno-optimize-sibling-calls
        -fno-stack-protector -fno-common -fno-strict-aliasing
        -fno-asynchronous-unwind-tables -fno-unwind-tables
        -ffunction-sections -fdata-sections
        -Wall -Wextra -Werror
        -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith
        -Wundef -Wvla -Wwrite-strings -Wcast-align -Wnull-dereference
        -Wimplicit-fallthrough
        -ffile-prefix-map=${PROJECT_SOURCE_DIR}/=
        $<$<CONFIG:Debug>:-Og -g3 -DBASALT_DEBUG=1>
        $<$<CONFIG:Release>:-O2 -g -DBASALT_DEBUG=0>
    >
    $<$<COMPILE_LANGUAGE:ASM_NASM>:
        -I${PROJECT_SOURCE_DIR}/boot/ -F dwarf -g
    >)

if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
    target_compile_options(basalt_kflags INTERFACE
        $<$<COMPILE_LANGUAGE:C>:-Wlogical-op -Wduplicated-cond -fno-tree-loop-distribute-patterns>)
endif()

set(BASALT_KERNEL_LINK_OPTIONS
    -nostdlib -static $<$<C_COMPILER_ID:GNU>:-no-pie>
    -Wl,--no-dynamic-linker
    -Wl,-z,max-page-size=0x1000 -Wl,-z,noexecstack
    -Wl,--build-id=none
    -Wl,--gc-sections
    ${BASALT_LINKER_FLAG})
