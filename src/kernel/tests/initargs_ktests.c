/*
 * src/kernel/tests/initargs_ktests.c - ktests of init's argv/envp split
 * (kernel/initargs): Linux's rule for words the kernel does not know.
 *
 * Part of the kernel executable's ktests; pure functions on local data.
 */
#include <core/ktest.h>
#include <core/string.h>
#include <kernel/initargs.h>

static const struct cmdline_param fake_params[] = {
    { .name = "loglevel", .kind = CMDLINE_UINT, .max = 7, .help = "" },
    { .name = "rdinit", .kind = CMDLINE_STRING, .help = "" },
    { .name = "init", .kind = CMDLINE_STRING, .help = "" },
};

static struct cmdline cl;
static struct init_args ia;
static char text[256];

KTEST(initargs, split_at_lone_dashes_outside_quotes)
{
    char *rest;

    strlcpy(text, "a b -- c -- d", sizeof(text));
    rest = init_args_split_dashes(text);
    KT_ASSERT_TRUE(rest != NULL);
    KT_EXPECT_STREQ(text, "a b ");
    KT_EXPECT_STREQ(rest, "c -- d");

    strlcpy(text, "x='a -- b' y--z --w", sizeof(text));
    KT_EXPECT_TRUE(init_args_split_dashes(text) == NULL);
    KT_EXPECT_STREQ(text, "x='a -- b' y--z --w");

    strlcpy(text, "--", sizeof(text));
    rest = init_args_split_dashes(text);
    KT_ASSERT_TRUE(rest != NULL);
    KT_EXPECT_STREQ(text, "");
    KT_EXPECT_STREQ(rest, "");
}

KTEST(initargs, unknown_words_go_to_argv_and_envp)
{
    strlcpy(text, "loglevel=3 single foo=bar quiet2 mod.param=1 mod.flag foo=baz "
            "init=/bin/sh rdinit=/sbin/x LANG=C", sizeof(text));
    KT_ASSERT_EQ(cmdline_parse(&cl, text), 0);
    init_args_build(&ia, &cl, "-x 'a b' c=d loglevel=1", fake_params, ARRAY_SIZE(fake_params));

    KT_EXPECT_EQ(ia.argc, 7u);
    KT_EXPECT_TRUE(ia.argv[0] == NULL);
    KT_EXPECT_STREQ(ia.argv[1], "single");
    KT_EXPECT_STREQ(ia.argv[2], "quiet2");
    KT_EXPECT_STREQ(ia.argv[3], "-x");
    KT_EXPECT_STREQ(ia.argv[4], "a b");
    KT_EXPECT_STREQ(ia.argv[5], "c=d");
    KT_EXPECT_STREQ(ia.argv[6], "loglevel=1");
    KT_EXPECT_TRUE(ia.argv[7] == NULL);

    KT_EXPECT_EQ(ia.envc, 4u);
    KT_EXPECT_STREQ(ia.envp[0], "HOME=/");
    KT_EXPECT_STREQ(ia.envp[1], "TERM=linux");
    KT_EXPECT_STREQ(ia.envp[2], "foo=baz");     /* the later foo= replaced the first */
    KT_EXPECT_STREQ(ia.envp[3], "LANG=C");
    KT_EXPECT_TRUE(ia.envp[4] == NULL);

    KT_EXPECT_EQ(ia.module_params, 2u);
    KT_EXPECT_EQ(ia.dropped, 0u);
    KT_EXPECT_STREQ(ia.init, "/bin/sh");
    KT_EXPECT_STREQ(ia.rdinit, "/sbin/x");
}

KTEST(initargs, defaults_and_limits)
{
    KT_ASSERT_EQ(cmdline_parse(&cl, "loglevel=3"), 0);
    init_args_build(&ia, &cl, NULL, fake_params, ARRAY_SIZE(fake_params));
    KT_EXPECT_EQ(ia.argc, 1u);
    KT_EXPECT_EQ(ia.envc, 2u);
    KT_EXPECT_STREQ(ia.rdinit, "/init");
    KT_EXPECT_TRUE(ia.init == NULL);

    /* 40 words after --: argv holds INIT_MAX_ARGS (argv[0] included), the rest are counted */
    text[0] = 0;
    for (int i = 0; i < 40; i++)
        strlcpy(text + strlen(text), "w ", sizeof(text) - strlen(text));
    init_args_build(&ia, &cl, text, fake_params, ARRAY_SIZE(fake_params));
    KT_EXPECT_EQ(ia.argc, (size_t)INIT_MAX_ARGS);
    KT_EXPECT_EQ(ia.dropped, 40u - (INIT_MAX_ARGS - 1));
    KT_EXPECT_TRUE(ia.argv[INIT_MAX_ARGS] == NULL);
}
