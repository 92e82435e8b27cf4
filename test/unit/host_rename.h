/*
 * test/unit/host_rename.h - gives the kernel's libc-named functions a k_
 * prefix when kernel code is built on the host for the unit tests.
 *
 * The kernel defines memcpy, strlen, snprintf, ... itself. Linked into a
 * host program those would clash with (or silently replace) the C library's,
 * which the test programs, cmocka and the sanitizer runtimes all use. So:
 *
 *  - Every kernel .c file built into the tests is compiled with
 *    `-ffreestanding -include host_rename.h` (see CMakeLists.txt). Each
 *    libc name below is then a macro for k_<name>: string.c *defines*
 *    k_memcpy, format.c defines k_snprintf, and cmdline.c *calls*
 *    k_strcmp and k_snprintf - the kernel code runs against itself only.
 *
 *  - Test programs include unit.h, which includes the C library headers
 *    first (their declarations keep the plain names), then this header,
 *    then the kernel headers (so they declare k_memcpy, k_snprintf, ...),
 *    then this header again with BASALT_HOST_UNRENAME defined, which
 *    removes the macros again.
 *
 *    Result, in test code: memcpy, snprintf, strlen ... are glibc's;
 *    k_memcpy, k_snprintf, k_strlen ... are the kernel's. Tests always name
 *    the kernel version explicitly, which also lets test_format compare
 *    k_snprintf with glibc's snprintf in one expression.
 *
 * Kernel functions whose names libc does not use (str_to_u64, cmdline_*,
 * mb2_parse, ...) keep their names. A new libc-named kernel function must be
 * added to BOTH lists below; check_symbols.cmake fails the build when one
 * is missing (it compares the kernel library's symbols with libc's).
 *
 * No include guard on purpose: unit.h includes this file twice.
 */

#ifndef BASALT_HOST_UNRENAME

/* core/string.h */
#define memcpy      k_memcpy
#define memmove     k_memmove
#define memset      k_memset
#define memcmp      k_memcmp
#define memchr      k_memchr
#define strlen      k_strlen
#define strnlen     k_strnlen
#define strcmp      k_strcmp
#define strncmp     k_strncmp
#define strchr      k_strchr
#define strrchr     k_strrchr
#define strstr      k_strstr
#define strlcpy     k_strlcpy
/* core/format.h */
#define vsnprintf   k_vsnprintf
#define snprintf    k_snprintf

#else /* BASALT_HOST_UNRENAME */

#undef memcpy
#undef memmove
#undef memset
#undef memcmp
#undef memchr
#undef strlen
#undef strnlen
#undef strcmp
#undef strncmp
#undef strchr
#undef strrchr
#undef strstr
#undef strlcpy
#undef vsnprintf
#undef snprintf
#undef BASALT_HOST_UNRENAME

#endif
