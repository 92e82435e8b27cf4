/*
 * src/fs/fs.c - the file systems' home (src/fs, include/fs).
 *
 * Part of fs. Deliberately empty: the VFS, buffer cache and ext2 arrive
 * with the file-system work.
 */
#include <core/compiler.h>
