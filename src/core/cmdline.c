/*
 * src/core/cmdline.c - kernel command-line parser and checker.
 *
 * Part of core; pure (see include/core/cmdline.h for the syntax and the
 * two-stage design). No allocation: everything lives in struct cmdline.
 */
#include <core/cmdline.h>
#include <core/errno.h>
#include <core/format.h>
#include <core/string.h>

static void add_error(struct cmdline *cl, const char *fmt, ...) __printf_like(2, 3);

static void add_error(struct cmdline *cl, const char *fmt, ...)
{
    if (cl->error_count < CMDLINE_MAX_ERRORS) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(cl->errors[cl->error_count], CMDLINE_MSG_LEN, fmt, ap);
        va_end(ap);
    }
    cl->error_count++;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == '-';
}

int cmdline_parse(struct cmdline *cl, const char *src)
{
    size_t len = strlen(src);
    size_t out = 0;             /* next free byte of cl->store */
    size_t i = 0;

    cl->count = 0;
    cl->error_count = 0;
    if (len > CMDLINE_MAX_LEN) {
        add_error(cl, "command line is %zu bytes; only the first %d are read", len,
                  CMDLINE_MAX_LEN);
        len = CMDLINE_MAX_LEN;
    }

    while (i < len) {
        while (i < len && is_blank(src[i]))
            i++;
        if (i >= len)
            break;

        /* One token: copy it unquoted into store, splitting at the first bare '='. */
        size_t column = i + 1;
        size_t key_start = out, value_start = 0;
        bool has_value = false, bad_key = false;
        char quote = 0, bad_char = 0;

        while (i < len && (quote || !is_blank(src[i]))) {
            char c = src[i++];
            if (c == '=' && !has_value) {
                /* the first '=' ends the name, quoted or not: names hold no '=' */
                cl->store[out++] = '\0';
                has_value = true;
                value_start = out;
            } else if (quote) {
                if (c == quote)
                    quote = 0;
                else
                    cl->store[out++] = c;
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else {
                cl->store[out++] = c;
            }
        }
        cl->store[out++] = '\0';

        /* the name is checked after unquoting: quotes never smuggle in a bad key */
        const char *key = &cl->store[key_start];
        for (const char *k = key; *k && !bad_key; k++)
            if (!is_key_char(*k)) {
                bad_key = true;
                bad_char = *k;
            }
        if (quote) {
            add_error(cl, "unterminated quote in option '%s' at column %zu (ignored)", key,
                      column);
            out = key_start;
        } else if (key[0] == '\0') {
            add_error(cl, "option with an empty name at column %zu (ignored)", column);
            out = key_start;
        } else if (bad_key) {
            add_error(cl, "bad character '%c' in option name '%s' at column %zu (ignored)",
                      bad_char, key, column);
            out = key_start;
        } else if (cl->count >= CMDLINE_MAX_OPTS) {
            add_error(cl, "too many options (at most %d): '%s' and later ones ignored",
                      CMDLINE_MAX_OPTS, key);
            break;
        } else {
            struct cmdline_opt *opt = &cl->opts[cl->count++];
            opt->key = key;
            opt->value = has_value ? &cl->store[value_start] : NULL;
            opt->rejected = false;
        }
    }
    return cl->error_count ? -EINVAL : 0;
}

size_t cmdline_unescape_grub(char *dst, size_t size, const char *src)
{
    size_t n = 0;

    for (; *src; src++) {
        char c = *src;
        /* GRUB's own quotes around a word stay: the parser groups with them */
        if (c == '\\' && src[1])
            c = *++src;                 /* a character GRUB escaped */
        if (n + 1 < size)
            dst[n] = c;
        n++;
    }
    if (size)
        dst[n < size ? n : size - 1] = '\0';
    return n;
}

static const struct cmdline_param *find_param(const struct cmdline_param *params, size_t n,
                                              const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(params[i].name, name) == 0)
            return &params[i];
    return NULL;
}

static size_t reject(struct cmdline_opt *opt, cmdline_report_fn report, void *ctx,
                     const char *message)
{
    opt->rejected = true;
    if (report)
        report(ctx, message);
    return 1;
}

size_t cmdline_check(struct cmdline *cl, const struct cmdline_param *params, size_t n,
                     cmdline_report_fn report, void *ctx)
{
    char msg[CMDLINE_MSG_LEN + 64];
    size_t problems = 0;

    for (size_t i = 0; i < cl->count; i++) {
        struct cmdline_opt *opt = &cl->opts[i];
        const struct cmdline_param *p = find_param(params, n, opt->key);
        uint64_t v;

        if (!p) {
            /* Linux's rule (kernel/initargs): passed to init unless it names a module's parameter */
            snprintf(msg, sizeof(msg), "unknown option '%s' (%s)", opt->key,
                     strchr(opt->key, '.') ? "ignored" : "passed to init");
            problems += reject(opt, report, ctx, msg);
            continue;
        }
        switch (p->kind) {
        case CMDLINE_FLAG:
            if (opt->value) {
                snprintf(msg, sizeof(msg), "option '%s' takes no value, got '%s' (ignored)",
                         opt->key, opt->value);
                problems += reject(opt, report, ctx, msg);
            }
            break;
        case CMDLINE_STRING:
        case CMDLINE_FLAG_OR_STRING:
            if ((p->kind == CMDLINE_STRING && !opt->value) ||
                (opt->value && opt->value[0] == '\0')) {
                snprintf(msg, sizeof(msg), "option '%s' needs a value: %s=... (ignored)",
                         opt->key, opt->key);
                problems += reject(opt, report, ctx, msg);
            }
            break;
        case CMDLINE_UINT:
            if (!opt->value ||
                str_to_u64(opt->value, strlen(opt->value), 0, &v) != 0 || v < p->min ||
                v > p->max) {
                snprintf(msg, sizeof(msg),
                         "option '%s' needs a number from %llu to %llu, got '%s' (ignored)",
                         opt->key, (unsigned long long)p->min, (unsigned long long)p->max,
                         opt->value ? opt->value : "");
                problems += reject(opt, report, ctx, msg);
            }
            break;
        }
    }
    return problems;
}

const struct cmdline_opt *cmdline_find(const struct cmdline *cl, const char *key)
{
    for (size_t i = cl->count; i-- > 0;)
        if (!cl->opts[i].rejected && strcmp(cl->opts[i].key, key) == 0)
            return &cl->opts[i];
    return NULL;
}

bool cmdline_has(const struct cmdline *cl, const char *key)
{
    return cmdline_find(cl, key) != NULL;
}

const char *cmdline_value(const struct cmdline *cl, const char *key)
{
    const struct cmdline_opt *opt = cmdline_find(cl, key);
    return opt ? opt->value : NULL;
}

int cmdline_uint(const struct cmdline *cl, const char *key, uint64_t *out)
{
    const char *v = cmdline_value(cl, key);

    if (!v)
        return -ENOENT;
    return str_to_u64(v, strlen(v), 0, out);
}

/* ---- the kernel's own command line --------------------------------------------- */

static const struct cmdline empty_cmdline;
static const struct cmdline *boot_cmdline = &empty_cmdline;

void cmdline_set_boot(const struct cmdline *cl)
{
    boot_cmdline = cl ? cl : &empty_cmdline;
}

const struct cmdline *cmdline_boot(void)
{
    return boot_cmdline;
}
