/*
 * include/fs/vfs_conformance.h - the VFS conformance suite: every vfs_*
 * operation and its Linux errors, run inside a directory of any mounted
 * file system (tmpfs in src/fs/tests/vfs_ktests.c; ext2 calls the same on
 * its mount).
 *
 * Part of fs (src/fs/tests/vfs_conformance.c). Call from a running KTEST:
 * each failed check is recorded with ktest_fail (file:line and the case),
 * nothing aborts the test, and everything created under dir is removed
 * again so a failing case does not cascade. dir must be an existing,
 * empty, writable directory (absolute path) on a read-write mount.
 */
#ifndef BASALT_FS_VFS_CONFORMANCE_H
#define BASALT_FS_VFS_CONFORMANCE_H

#include <core/compiler.h>

/* The case names, in the order vfs_conformance_run runs them. */
extern const char *const vfs_conformance_cases[];
extern const size_t vfs_conformance_ncases;

/* Runs the case called name in dir. Returns the number of failed checks (-1: no such case). */
int vfs_conformance_run_one(const char *dir, const char *name);
/* Runs every case in dir. Returns the number of failed checks. */
int vfs_conformance_run(const char *dir);

#endif
