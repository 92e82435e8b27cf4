/*
 * include/kernel/initargs.h - what the kernel command line leaves for init:
 * its argument and environment vectors, and which init to run.
 *
 * Part of the kernel executable (src/kernel/initargs.c); pure (no locks,
 * no allocation, no printing). Linux's rule (init/main.c): a command-line
 * word the kernel does not know is passed to init - `KEY=VALUE` into its
 * environment (replacing an earlier KEY), a bare word into its arguments -
 * except words with a '.' in their name (parameters of a module the kernel
 * lacks), which go nowhere; every word after a lone `--` goes to init's
 * arguments as it is, and the kernel reads none of them. The environment
 * starts as HOME=/ and TERM=linux. rdinit= (default /init) names the
 * initramfs's init, init= the root file system's.
 *
 * The boot command line's result is built once during boot (kmain's command
 * line step) and read-only afterwards: init_args_boot() is what the
 * user-space issue's first exec uses (argv[0] is then the init's path).
 */
#ifndef BASALT_KERNEL_INITARGS_H
#define BASALT_KERNEL_INITARGS_H

#include <core/cmdline.h>

#define INIT_MAX_ARGS   32      /* Linux's MAX_INIT_ARGS, argv[0] included */
#define INIT_MAX_ENVS   32      /* Linux's MAX_INIT_ENVS */
#define INIT_STORE_SIZE (CMDLINE_MAX_LEN + 64)
#define INIT_DEFAULT_RDINIT "/init"

struct init_args {
    /* argv[0] is left NULL for the exec to fill (the init's path); words
     * start at argv[1]; argv[argc] == NULL */
    const char *argv[INIT_MAX_ARGS + 1];
    size_t argc;                /* counting argv[0] */
    const char *envp[INIT_MAX_ENVS + 1];    /* envp[envc] == NULL */
    size_t envc;
    const char *rdinit;         /* rdinit= or INIT_DEFAULT_RDINIT */
    const char *init;           /* init=, or NULL: try /sbin/init, /etc/init, /bin/init, /bin/sh */
    size_t dropped;             /* words beyond the limits, not passed */
    size_t module_params;       /* words like foo.bar=1, not passed */
    char store[INIT_STORE_SIZE];    /* the strings argv and envp point at */
};

/*
 * Splits text (a command line, GRUB's escaping already undone) at the first
 * lone `--` outside quotes: writes a NUL over it (text then ends before it)
 * and returns the rest (maybe ""), or NULL when there is none.
 */
char *init_args_split_dashes(char *text);

/*
 * Fills ia from the kernel's parsed command line kernel (checked: options
 * not in params[0..n) are init's) and the words after `--` (after, NULL for
 * none; blank-separated, quotes grouping as in cmdline_parse and removed).
 * rdinit=/init= are read from kernel. Never fails: what does not fit is
 * counted in ia->dropped.
 */
void init_args_build(struct init_args *ia, const struct cmdline *kernel, const char *after,
                     const struct cmdline_param *params, size_t n);

/* The boot command line's result (set by init_args_set_boot in kmain; until
 * then an empty one with the default environment). */
const struct init_args *init_args_boot(void);
void init_args_set_boot(const struct init_args *ia);

#endif
