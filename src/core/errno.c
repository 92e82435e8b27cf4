/*
 * src/core/errno.c - names for error numbers (see include/core/errno.h).
 *
 * Part of core; pure. Used by log messages so an error reads "-ENOMEM"
 * rather than "-12".
 */
#include <core/errno.h>
#include <core/compiler.h>

static const struct {
    int num;
    const char *name;
} errno_names[] = {
    { EPERM, "EPERM" },     { ENOENT, "ENOENT" },     { ESRCH, "ESRCH" },
    { EINTR, "EINTR" },     { EIO, "EIO" },           { ENXIO, "ENXIO" },
    { E2BIG, "E2BIG" },     { ENOEXEC, "ENOEXEC" },   { EBADF, "EBADF" },
    { ECHILD, "ECHILD" },   { EAGAIN, "EAGAIN" },     { ENOMEM, "ENOMEM" },
    { EACCES, "EACCES" },   { EFAULT, "EFAULT" },     { EBUSY, "EBUSY" },
    { EEXIST, "EEXIST" },   { EXDEV, "EXDEV" },       { ENODEV, "ENODEV" },
    { ENOTDIR, "ENOTDIR" }, { EISDIR, "EISDIR" },     { EINVAL, "EINVAL" },
    { ENFILE, "ENFILE" },   { EMFILE, "EMFILE" },     { ENOTTY, "ENOTTY" },
    { EFBIG, "EFBIG" },     { ENOSPC, "ENOSPC" },     { ESPIPE, "ESPIPE" },
    { EROFS, "EROFS" },     { EMLINK, "EMLINK" },     { EPIPE, "EPIPE" },
    { EDOM, "EDOM" },       { ERANGE, "ERANGE" },     { EDEADLK, "EDEADLK" },
    { ENAMETOOLONG, "ENAMETOOLONG" },                 { ENOSYS, "ENOSYS" },
    { ENOTEMPTY, "ENOTEMPTY" },                       { ELOOP, "ELOOP" },
    { ENODATA, "ENODATA" }, { ETIME, "ETIME" },       { EOVERFLOW, "EOVERFLOW" },
    { EILSEQ, "EILSEQ" },   { ENOTSUP, "ENOTSUP" },   { ETIMEDOUT, "ETIMEDOUT" },
    { EALREADY, "EALREADY" },                         { EINPROGRESS, "EINPROGRESS" },
    { EUCLEAN, "EUCLEAN" }, { ECANCELED, "ECANCELED" },
};

const char *errno_name(int err)
{
    unsigned num = err < 0 ? 0u - (unsigned)err : (unsigned)err;   /* INT_MIN-safe */

    for (size_t i = 0; i < ARRAY_SIZE(errno_names); i++)
        if ((unsigned)errno_names[i].num == num)
            return errno_names[i].name;
    return "E?";
}
