# cmake/toolchain-x86_64-elf.cmake - the kernel's freestanding toolchain.
#
# Picks, in order: clang with --target=x86_64-elf when BASALT_TOOLCHAIN is
# "clang"; an x86_64-elf-gcc cross compiler when one is on PATH; otherwise
# the host's x86_64 GCC, which builds a correct freestanding kernel with the
# flags in cmake/KernelFlags.cmake (Debian ships no x86_64-elf cross GCC).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(BASALT_TOOLCHAIN "gcc" CACHE STRING "Kernel compiler family: gcc or clang")

if(BASALT_TOOLCHAIN STREQUAL "clang")
    find_program(BASALT_CLANG NAMES clang clang-16 clang-15 clang-14 REQUIRED)
    set(CMAKE_C_COMPILER "${BASALT_CLANG}")
    set(CMAKE_C_COMPILER_TARGET x86_64-elf)
    find_program(BASALT_LLD NAMES ld.lld)
    if(BASALT_LLD)
        set(BASALT_LINKER_FLAG "-fuse-ld=lld" CACHE INTERNAL "")
    endif()
else()
    find_program(BASALT_CROSS_GCC NAMES x86_64-elf-gcc)
    if(BASALT_CROSS_GCC)
        set(CMAKE_C_COMPILER "${BASALT_CROSS_GCC}")
    else()
        find_program(BASALT_HOST_GCC NAMES gcc REQUIRED)
        execute_process(COMMAND "${BASALT_HOST_GCC}" -dumpmachine
                        OUTPUT_VARIABLE BASALT_HOST_GCC_TARGET OUTPUT_STRIP_TRAILING_WHITESPACE)
        if(NOT BASALT_HOST_GCC_TARGET MATCHES "^x86_64-")
            message(FATAL_ERROR "The host GCC targets '${BASALT_HOST_GCC_TARGET}', not x86_64: "
                                "install an x86_64-elf-gcc cross compiler or use the clang preset.")
        endif()
        set(CMAKE_C_COMPILER "${BASALT_HOST_GCC}")
    endif()
endif()

set(CMAKE_ASM_NASM_OBJECT_FORMAT elf64)
