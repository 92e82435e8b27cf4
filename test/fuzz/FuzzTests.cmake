# test/fuzz/FuzzTests.cmake - libFuzzer targets, built only where they can be.
#
# Included by test/CMakeLists.txt. Needs a host clang whose
# -fsanitize=fuzzer links (Debian's clang package has it); without one the
# targets are skipped with a message. Each target is built with ASan and
# UBSan from its harness and the pure kernel sources it covers (those with
# host_rename.h force-included, as in test/unit), and registered as the
# ctest test fuzz.<name> (label fuzz), a 10-second run from an empty corpus,
# or, with SEEDS <script>, from the seed inputs the script makes at test time
# (`sh <script> <folder>`, run by the fixture test fuzz.<name>.seeds).

find_program(BASALT_FUZZ_CLANG NAMES clang NO_CMAKE_FIND_ROOT_PATH)
if(NOT BASALT_FUZZ_CLANG)
    message(STATUS "No host clang: libFuzzer targets skipped")
    return()
endif()
set(probe_dir ${PROJECT_BINARY_DIR}/fuzz/probe)
file(MAKE_DIRECTORY ${probe_dir})
file(WRITE ${probe_dir}/probe.c
     "#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n")
execute_process(COMMAND ${BASALT_FUZZ_CLANG} -fsanitize=fuzzer ${probe_dir}/probe.c -o ${probe_dir}/probe
                RESULT_VARIABLE probe_rc OUTPUT_QUIET ERROR_QUIET)
if(NOT probe_rc EQUAL 0)
    message(STATUS "${BASALT_FUZZ_CLANG} cannot link -fsanitize=fuzzer: libFuzzer targets skipped")
    return()
endif()

set(BASALT_FUZZ_FLAGS -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -g -O1
    -std=gnu11 -Wall -Wextra -Werror -I${PROJECT_SOURCE_DIR}/include)

# basalt_fuzz_target(<name> [SEEDS <script>] <kernel sources relative to the source root...>)
function(basalt_fuzz_target name)
    cmake_parse_arguments(PARSE_ARGV 1 F "" "SEEDS" "")
    set(dir ${PROJECT_BINARY_DIR}/fuzz)
    set(objs "")
    foreach(src IN LISTS F_UNPARSED_ARGUMENTS)
        get_filename_component(base ${src} NAME_WE)
        set(obj ${dir}/${name}_${base}.o)
        add_custom_command(OUTPUT ${obj}
            COMMAND ${BASALT_FUZZ_CLANG} ${BASALT_FUZZ_FLAGS} -ffreestanding -fno-builtin
                    -include ${PROJECT_SOURCE_DIR}/test/unit/host_rename.h
                    -c ${PROJECT_SOURCE_DIR}/${src} -o ${obj}
            DEPENDS ${PROJECT_SOURCE_DIR}/${src} VERBATIM)
        list(APPEND objs ${obj})
    endforeach()
    add_custom_command(OUTPUT ${dir}/fuzz_${name}
        COMMAND ${BASALT_FUZZ_CLANG} ${BASALT_FUZZ_FLAGS}
                ${PROJECT_SOURCE_DIR}/test/fuzz/fuzz_${name}.c ${objs} -o ${dir}/fuzz_${name}
        DEPENDS ${PROJECT_SOURCE_DIR}/test/fuzz/fuzz_${name}.c ${objs} VERBATIM)
    add_custom_target(fuzz_${name} ALL DEPENDS ${dir}/fuzz_${name})
    set(corpus "")
    if(F_SEEDS)
        set(corpus ${dir}/${name}-corpus ${dir}/${name}-seeds)
        file(MAKE_DIRECTORY ${dir}/${name}-corpus)
        add_test(NAME fuzz.${name}.seeds COMMAND sh ${F_SEEDS} ${dir}/${name}-seeds)
        set_tests_properties(fuzz.${name}.seeds PROPERTIES
            LABELS fuzz TIMEOUT 60 FIXTURES_SETUP fuzz_${name}_seeds)
    endif()
    add_test(NAME fuzz.${name}
             COMMAND ${dir}/fuzz_${name} -max_total_time=10 -timeout=5 -rss_limit_mb=1024
                     -print_final_stats=1 ${corpus})
    set_tests_properties(fuzz.${name} PROPERTIES LABELS fuzz TIMEOUT 60)
    if(F_SEEDS)
        set_tests_properties(fuzz.${name} PROPERTIES FIXTURES_REQUIRED fuzz_${name}_seeds)
    endif()
endfunction()

basalt_fuzz_target(inflate src/fs/inflate.c src/core/crc32.c src/core/string.c)
basalt_fuzz_target(ext2_disk SEEDS ${CMAKE_CURRENT_LIST_DIR}/ext2_disk_seeds.sh
                   src/fs/ext2_disk.c src/core/string.c)
basalt_fuzz_target(blk_plan src/dev/blk_check.c src/core/string.c src/core/format.c)
