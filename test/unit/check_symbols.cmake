# test/unit/check_symbols.cmake - fails the build when a kernel function
# compiled for the host tests still has a C library name.
#
# Run after building the kernel library (cmake -P, see CMakeLists.txt) with
# NM, LIB (the kernel library) and LIBC (the host libc.so). Such a name
# would silently replace glibc's function in every test program (and
# under the sanitizers); the fix is a line in both lists of host_rename.h.
cmake_minimum_required(VERSION 3.20)

if(NOT EXISTS "${LIBC}")
    message(STATUS "check_symbols: no host libc.so found, check skipped")
    return()
endif()

execute_process(COMMAND "${NM}" -g --defined-only "${LIB}"
                OUTPUT_VARIABLE kernel_out RESULT_VARIABLE rc1)
execute_process(COMMAND "${NM}" -D --defined-only "${LIBC}"
                OUTPUT_VARIABLE libc_out RESULT_VARIABLE rc2)
if(NOT rc1 EQUAL 0 OR NOT rc2 EQUAL 0)
    message(STATUS "check_symbols: nm failed, check skipped")
    return()
endif()

# "0000000000001234 T name" lines; libc names may carry @@GLIBC_x.y
string(REGEX MATCHALL "[0-9a-fA-F]+ [TDBRVW] [A-Za-z_][A-Za-z0-9_]*" kernel_lines "${kernel_out}")
string(REGEX MATCHALL "[0-9a-fA-F]+ [TDBRVWi] [A-Za-z_][A-Za-z0-9_]*" libc_lines "${libc_out}")
set(libc_names "")
foreach(line IN LISTS libc_lines)
    string(REGEX REPLACE ".* " "" name "${line}")
    list(APPEND libc_names "${name}")
endforeach()

set(clashes "")
foreach(line IN LISTS kernel_lines)
    string(REGEX REPLACE ".* " "" name "${line}")
    if(name IN_LIST libc_names)
        list(APPEND clashes "${name}")
    endif()
endforeach()
list(REMOVE_DUPLICATES clashes)

if(clashes)
    list(JOIN clashes ", " clash_text)
    message(FATAL_ERROR
        "Kernel code built for the host unit tests defines C library names: "
        "${clash_text}. Add each to both lists in test/unit/host_rename.h.")
endif()
