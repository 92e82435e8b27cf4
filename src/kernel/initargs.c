/*
 * src/kernel/initargs.c - init's argument and environment vectors from the
 * kernel command line (Linux's rule; see include/kernel/initargs.h).
 *
 * Part of the kernel executable; pure: works on the caller's struct only,
 * except the boot copy, written once by kmain before other threads run.
 */
#include <kernel/initargs.h>
#include <core/string.h>

CMDLINE_PARAM(rdinit, "rdinit", CMDLINE_STRING, 0, 0,
              "the initramfs's init program (default /init)");
CMDLINE_PARAM(init, "init", CMDLINE_STRING, 0, 0,
              "the root file system's init program (default: /sbin/init, /etc/init, "
              "/bin/init, /bin/sh)");

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

char *init_args_split_dashes(char *text)
{
    char quote = 0;

    for (char *p = text; *p; p++) {
        if (quote) {
            if (*p == quote)
                quote = 0;
            continue;
        }
        if (*p == '\'' || *p == '"') {
            quote = *p;
            continue;
        }
        if ((p == text || is_blank(p[-1])) && p[0] == '-' && p[1] == '-' &&
            (p[2] == 0 || is_blank(p[2]))) {
            char *rest = p[2] ? p + 3 : p + 2;

            *p = 0;
            return rest;
        }
    }
    return NULL;
}

static void add_arg(struct init_args *ia, const char *word)
{
    if (ia->argc >= INIT_MAX_ARGS || !word) {
        ia->dropped++;
        return;
    }
    ia->argv[ia->argc++] = word;
    ia->argv[ia->argc] = NULL;
}

/* KEY=VALUE: replaces an entry with the same KEY, else appends. */
static void add_env(struct init_args *ia, const char *kv, size_t keylen)
{
    if (!kv) {
        ia->dropped++;
        return;
    }
    for (size_t i = 0; i < ia->envc; i++) {
        if (strncmp(ia->envp[i], kv, keylen) == 0 && ia->envp[i][keylen] == '=') {
            ia->envp[i] = kv;
            return;
        }
    }
    if (ia->envc >= INIT_MAX_ENVS) {
        ia->dropped++;
        return;
    }
    ia->envp[ia->envc++] = kv;
    ia->envp[ia->envc] = NULL;
}

static bool is_kernel_param(const char *key, const struct cmdline_param *params, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(params[i].name, key) == 0)
            return true;
    return false;
}

void init_args_build(struct init_args *ia, const struct cmdline *kernel, const char *after,
                     const struct cmdline_param *params, size_t n)
{
    size_t used = 0;
    const char *v;

    memset(ia, 0, sizeof(*ia));
    ia->argc = 1;               /* argv[0]: the init's path, at exec */
    ia->envp[ia->envc++] = "HOME=/";
    ia->envp[ia->envc++] = "TERM=linux";
    ia->rdinit = INIT_DEFAULT_RDINIT;
    if ((v = cmdline_value(kernel, "rdinit")) != NULL)
        ia->rdinit = v;
    ia->init = cmdline_value(kernel, "init");

    for (size_t i = 0; i < kernel->count; i++) {
        const struct cmdline_opt *o = &kernel->opts[i];
        size_t klen = strlen(o->key);

        if (is_kernel_param(o->key, params, n))
            continue;
        if (strchr(o->key, '.')) {
            ia->module_params++;
            continue;
        }
        if (o->value) {
            size_t vlen = strlen(o->value);
            char *kv = NULL;

            if (klen + vlen + 2 <= sizeof(ia->store) - used) {
                kv = ia->store + used;
                memcpy(kv, o->key, klen);
                kv[klen] = '=';
                memcpy(kv + klen + 1, o->value, vlen);
                kv[klen + 1 + vlen] = 0;
                used += klen + vlen + 2;
            }
            add_env(ia, kv, klen);
        } else {
            add_arg(ia, o->key);
        }
    }

    /* after `--`: words, quotes grouping and removed, all to argv; each
     * word is built in place at the end of the store */
    while (after && *after) {
        char *word = ia->store + used;
        size_t room = sizeof(ia->store) - used, len = 0;
        char quote = 0;

        while (is_blank(*after))
            after++;
        if (!*after)
            break;
        for (; *after && (quote || !is_blank(*after)); after++) {
            if (quote && *after == quote)
                quote = 0;
            else if (!quote && (*after == '\'' || *after == '"'))
                quote = *after;
            else if (len + 1 < room)
                word[len++] = *after;
            else
                room = 0;           /* does not fit: dropped below */
        }
        if (room == 0) {
            ia->dropped++;
            continue;
        }
        word[len] = 0;
        if (ia->argc < INIT_MAX_ARGS)
            used += len + 1;
        add_arg(ia, word);
    }
}

static struct init_args boot_args = {
    .argc = 1,
    .envp = { "HOME=/", "TERM=linux", NULL },
    .envc = 2,
    .rdinit = INIT_DEFAULT_RDINIT,
};
static const struct init_args *boot_ptr = &boot_args;

const struct init_args *init_args_boot(void)
{
    return boot_ptr;
}

void init_args_set_boot(const struct init_args *ia)
{
    boot_ptr = ia;
}
