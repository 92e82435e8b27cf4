# test/unit/HostUnitTests.cmake - hooks the host unit tests into the kernel build.
#
# Included by test/CMakeLists.txt. The kernel project is configured with
# the freestanding toolchain (its CMAKE_C_COMPILER may even be clang
# --target=x86_64-elf), so test/unit is built as a separate CMake project
# with the host C compiler, through ExternalProject, as part of ALL
# (BUILD_ALWAYS: it rebuilds whenever kernel sources change). Each test
# program listed in tests.cmake becomes the ctest test unit.<name>,
# labelled "unit" (ctest -L unit).

option(BASALT_HOST_UNIT_TESTS "Build and register the host unit tests (test/unit, needs cmocka)" ON)
if(NOT BASALT_HOST_UNIT_TESTS)
    return()
endif()

# The host compiler, not the kernel's. The toolchain file may restrict
# find_* to a sysroot; programs are looked up on the host regardless.
find_program(BASALT_HOST_CC NAMES cc gcc clang NO_CMAKE_FIND_ROOT_PATH)
if(NOT BASALT_HOST_CC)
    message(WARNING "No host C compiler (cc, gcc or clang) found: host unit tests disabled")
    return()
endif()

include(ExternalProject)
include(${CMAKE_CURRENT_LIST_DIR}/tests.cmake)

ExternalProject_Add(host_unit
    SOURCE_DIR ${PROJECT_SOURCE_DIR}/test/unit
    BINARY_DIR ${PROJECT_BINARY_DIR}/host-unit
    CMAKE_ARGS
        -DCMAKE_C_COMPILER=${BASALT_HOST_CC}
        -DBASALT_ROOT=${PROJECT_SOURCE_DIR}
        -DCMAKE_BUILD_TYPE=Debug
        # never inherit the kernel toolchain (e.g. through the
        # CMAKE_TOOLCHAIN_FILE environment variable)
        -DCMAKE_TOOLCHAIN_FILE=
    INSTALL_COMMAND ""
    BUILD_ALWAYS ON
    EXCLUDE_FROM_ALL OFF
)

foreach(name IN LISTS BASALT_UNIT_TESTS)
    add_test(NAME unit.${name} COMMAND ${PROJECT_BINARY_DIR}/host-unit/test_${name})
    set_tests_properties(unit.${name} PROPERTIES
        LABELS unit
        ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1;UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1")
endforeach()
