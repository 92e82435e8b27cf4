/*
 * include/core/cmdline.h - the kernel command line: parsing and checking.
 *
 * Part of core; pure (host-tested by test/unit/test_cmdline.c).
 *
 * Syntax: options separated by blanks; each is `key` (a flag) or
 * `key=value`. Single or double quotes group blanks and ';' into one value
 * and are removed: cmd='mem; test sched.*' gives key "cmd", value
 * "mem; test sched.*". The first '=' of an option ends its name, quoted or
 * not ("ktest=a b" in double quotes is key ktest, value "a b"). Keys are
 * [A-Za-z0-9_.-]+. When a key repeats, the last occurrence wins.
 *
 * Two stages, both reporting problems as text, never failing the boot:
 *  1. cmdline_parse splits the text; a malformed token (unterminated quote,
 *     empty or bad key) is recorded as an error and dropped.
 *  2. cmdline_check compares the options with the table of known
 *     parameters (declared anywhere with CMDLINE_PARAM); unknown options
 *     and bad values are reported and marked rejected, so the getters
 *     never return them.
 *
 * Context: any; no locks, never sleep. Every function but the boot pair at
 * the end works on the caller's struct cmdline only; the boot command line
 * is written once during boot and read-only afterwards.
 */
#ifndef BASALT_CORE_CMDLINE_H
#define BASALT_CORE_CMDLINE_H

#include <core/compiler.h>

#define CMDLINE_MAX_LEN     2048
#define CMDLINE_MAX_OPTS    64
#define CMDLINE_MAX_ERRORS  8
#define CMDLINE_MSG_LEN     128

struct cmdline_opt {
    const char *key;
    const char *value;      /* NULL for a bare flag; "" for "key=" */
    bool rejected;          /* set by cmdline_check */
};

struct cmdline {
    char store[CMDLINE_MAX_LEN + 2];            /* unquoted keys and values */
    struct cmdline_opt opts[CMDLINE_MAX_OPTS];
    size_t count;
    char errors[CMDLINE_MAX_ERRORS][CMDLINE_MSG_LEN];
    size_t error_count;                         /* may exceed CMDLINE_MAX_ERRORS */
};

/*
 * Splits src into cl (which needs no initialisation). Returns 0, or
 * -EINVAL when some token was malformed (the well-formed ones are kept;
 * cl->errors holds one message per problem, "unterminated quote at column
 * 12", ...). A text longer than CMDLINE_MAX_LEN is truncated and that is
 * reported as an error too.
 */
int cmdline_parse(struct cmdline *cl, const char *src);

/*
 * GRUB hands the kernel its command line escaped: a backslash before every
 * backslash, single quote and double quote, and double quotes around each
 * word that holds a blank. This turns every backslash-X back into X and
 * keeps GRUB's unescaped double quotes, which cmdline_parse then treats as
 * the grouping quotes they are: the kernel sees the options written in
 * grub.cfg, grouped as GRUB grouped them. Writes at most size - 1 bytes
 * and a NUL to dst; returns the length of the whole result (like strlcpy),
 * so a result >= size means it was truncated.
 */
size_t cmdline_unescape_grub(char *dst, size_t size, const char *src);

enum cmdline_kind {
    CMDLINE_FLAG,           /* `name` only */
    CMDLINE_STRING,         /* `name=text`, text not empty */
    CMDLINE_FLAG_OR_STRING, /* `name` or `name=text` */
    CMDLINE_UINT,           /* `name=N` with min <= N <= max */
};

struct cmdline_param {
    const char *name;
    enum cmdline_kind kind;
    uint64_t min, max;      /* CMDLINE_UINT only */
    const char *help;       /* one line, for documentation and `help` */
};

/* Declares a known kernel parameter (collected by the linker in .cmdline_params). */
#define CMDLINE_PARAM(ident, pname, pkind, pmin, pmax, phelp)                  \
    static const struct cmdline_param cmdline_param_##ident                    \
        __section(".cmdline_params") __used __aligned(8) = {                   \
            .name = (pname), .kind = (pkind), .min = (pmin), .max = (pmax),    \
            .help = (phelp) }

/* Called once per problem found by cmdline_check. */
typedef void (*cmdline_report_fn)(void *ctx, const char *message);

/*
 * Checks every option in cl against params[0..n). Unknown options, a value
 * where none is taken, a missing or empty value, and a number that does not
 * parse or is out of range are each reported through report (may be NULL)
 * and the option is marked rejected. Returns the number of problems.
 */
size_t cmdline_check(struct cmdline *cl, const struct cmdline_param *params, size_t n,
                     cmdline_report_fn report, void *ctx);

/* The last accepted option with this key, or NULL. */
const struct cmdline_opt *cmdline_find(const struct cmdline *cl, const char *key);

/* True if key is present and accepted (as a flag or with a value). */
bool cmdline_has(const struct cmdline *cl, const char *key);

/* The accepted value of key, or NULL when absent or a bare flag. */
const char *cmdline_value(const struct cmdline *cl, const char *key);

/* The accepted value of key as a number; returns 0, or -ENOENT when absent. */
int cmdline_uint(const struct cmdline *cl, const char *key, uint64_t *out);

/*
 * The kernel's own command line, parsed and checked, for every subsystem to
 * read (cmdline_has(cmdline_boot(), "pci.noecam")). kmain hands it over
 * once with cmdline_set_boot, right after checking it, before any other
 * subsystem starts; cl must stay valid for good. Until then cmdline_boot
 * returns an empty command line (never NULL). Context: any; the pointer is
 * written once on the boot CPU before other CPUs run, so no lock.
 */
void cmdline_set_boot(const struct cmdline *cl);
const struct cmdline *cmdline_boot(void);

#endif
