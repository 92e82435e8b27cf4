#!/usr/bin/env python3
"""images/mkimages.py - builds the disk and initramfs images Basalt boots with.

Build tooling (host side; run by images/CMakeLists.txt). From the repository's
user/ tree (the future user space) and initramfs/ tree it makes, in OUT:

  staging-data/          user/ copied as the disk's root, the mount points
                         dev proc sys tmp, plus test/ (below)
  data.ext2              `mke2fs -t ext2 -r 1 -b 1024 -d staging-data`: the
                         data disk (root=/dev/vda)
  data-part.img          an MBR disk (sfdisk) whose partition 1, from sector
                         2048, is data.ext2 (root=/dev/vda1)
  staging-initramfs/     initramfs/ plus the empty directories of a root
                         (dev proc sys tmp root mnt), a symlink and a hard link
  initramfs.cpio.gz      `cpio -o -H newc` of staging-initramfs, gzip -9n
  initramfs-init.cpio.gz       the same plus an executable /init (a placeholder)
  initramfs-truncated.cpio.gz  the first half of initramfs.cpio.gz (damaged)
  initramfs-badmagic.cpio      plain newc whose third header's magic is wrong
                               (damaged after two good entries)

The test files of the data disk (under /test):
  hello.txt              "hello from the data disk\\n"
  big.dat                BIG_BLOCKS 1 KiB blocks, block i = big_block(i): more
                         than 12 + 256 + 65536 blocks, so with 1 KiB blocks its
                         tail lies behind the triple-indirect block; every
                         block says which it is, so a reader can check any
                         range without the file (tests import big_block)
  dir/a.txt, dir/b.txt   a small directory; b.txt is a hard link to a.txt
  link -> hello.txt      a symlink
Every file gets the fixed mtime FIXED_MTIME and the file system a fixed
UUID and hash seed (tests can check the times; mke2fs still stamps ctimes
with the build's time).
"""
import argparse
import os
import shutil
import subprocess
import sys

FIXED_MTIME = 1767225600            # 2026-01-01 00:00:00 UTC
BLOCK = 1024
# 12 direct + 256 single + 65536 double-indirect blocks end at block 65803;
# 66 MiB reaches 1780 blocks into the triple-indirect tree
BIG_BLOCKS = 66 * 1024
DATA_IMAGE_MIB = 96
PART_START_SECTOR = 2048            # 1 MiB, as fdisk aligns
HELLO = b"hello from the data disk\n"
FS_UUID = "b0a5a170-0000-4000-8000-000000000001"
# mke2fs -E hash_seed= keeps directory hashes reproducible too
HASH_SEED = "b0a5a170-0000-4000-8000-000000000002"


def big_block(i):
    """The 1024 bytes of block i of /test/big.dat: 16 lines of 64 bytes,
    'big.dat block NNNNNNNN line LL ' padded with a letter that changes
    per block, ending in a newline."""
    fill = chr(ord("a") + i % 26)
    out = []
    for line in range(16):
        head = f"big.dat block {i:08d} line {line:02d} "
        out.append(head + fill * (63 - len(head)) + "\n")
    return "".join(out).encode("ascii")


def run(cmd, **kw):
    env = dict(os.environ, E2FSPROGS_FAKE_TIME=str(FIXED_MTIME))
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, **kw)
    if r.returncode != 0:
        sys.exit(f"mkimages: {' '.join(cmd)} failed ({r.returncode}):\n"
                 + r.stdout.decode(errors="replace"))
    return r.stdout


def fix_times(root):
    for dirpath, dirnames, filenames in os.walk(root, topdown=False):
        for name in filenames + dirnames:
            os.utime(os.path.join(dirpath, name), (FIXED_MTIME, FIXED_MTIME),
                     follow_symlinks=False)
    os.utime(root, (FIXED_MTIME, FIXED_MTIME))


def fresh_dir(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)


def make_data_staging(src_user, staging):
    fresh_dir(staging)
    if os.path.isdir(src_user):
        shutil.copytree(src_user, staging, dirs_exist_ok=True, symlinks=True)
    # the mount points a root file system needs (kernel/rootfs mounts on them)
    for d in ("dev", "proc", "sys", "tmp"):
        os.makedirs(os.path.join(staging, d), exist_ok=True)
    os.chmod(os.path.join(staging, "tmp"), 0o1777)
    test = os.path.join(staging, "test")
    os.makedirs(os.path.join(test, "dir"))
    with open(os.path.join(test, "hello.txt"), "wb") as f:
        f.write(HELLO)
    with open(os.path.join(test, "big.dat"), "wb") as f:
        for i in range(BIG_BLOCKS):
            f.write(big_block(i))
    with open(os.path.join(test, "dir", "a.txt"), "wb") as f:
        f.write(b"file a in test/dir\n")
    os.link(os.path.join(test, "dir", "a.txt"), os.path.join(test, "dir", "b.txt"))
    os.symlink("hello.txt", os.path.join(test, "link"))
    fix_times(staging)


def make_ext2(staging, image, size_mib):
    if os.path.exists(image):
        os.unlink(image)
    run(["mke2fs", "-q", "-F", "-t", "ext2", "-r", "1", "-b", str(BLOCK),
         "-L", "basalt-data", "-U", FS_UUID, "-E", f"hash_seed={HASH_SEED},root_owner=0:0",
         "-d", staging, image, f"{size_mib}M"])
    run(["e2fsck", "-fn", image])


def make_partitioned(ext2, image):
    size = os.path.getsize(ext2)
    sectors = size // 512
    total = PART_START_SECTOR * 512 + size + 1024 * 1024     # 1 MiB spare at the end
    with open(image, "wb") as f:
        f.truncate(total)
    run(["sfdisk", "--no-reread", "--no-tell-kernel", "-q", image],
        input=f"label: dos\nlabel-id: 0xba5a1700\n{PART_START_SECTOR},{sectors},83\n".encode())
    with open(ext2, "rb") as src, open(image, "r+b") as dst:
        dst.seek(PART_START_SECTOR * 512)
        shutil.copyfileobj(src, dst, 1 << 20)


def make_initramfs_staging(src, staging):
    fresh_dir(staging)
    if os.path.isdir(src):
        shutil.copytree(src, staging, dirs_exist_ok=True, symlinks=True)
    for d in ("dev", "proc", "sys", "tmp", "root", "mnt"):
        os.makedirs(os.path.join(staging, d), exist_ok=True)
    os.chmod(os.path.join(staging, "tmp"), 0o1777)
    os.chmod(os.path.join(staging, "root"), 0o700)
    etc = os.path.join(staging, "etc")
    os.makedirs(etc, exist_ok=True)
    if os.path.exists(os.path.join(etc, "motd")):
        os.link(os.path.join(etc, "motd"), os.path.join(etc, "welcome"))
        os.symlink("motd", os.path.join(etc, "issue"))
    fix_times(staging)


def cpio_newc(staging):
    names = []
    for dirpath, dirnames, filenames in os.walk(staging):
        dirnames.sort()
        rel = os.path.relpath(dirpath, staging)
        for name in sorted(dirnames + filenames):
            names.append(os.path.normpath(os.path.join(rel, name)))
    names.sort()
    listing = ("\n".join(["."] + names) + "\n").encode()
    return run(["cpio", "--quiet", "-o", "-H", "newc", "-R", "0:0", "--reproducible"],
               input=listing, cwd=staging)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--user", required=True, help="the repository's user/ tree")
    p.add_argument("--initramfs", required=True, help="the repository's initramfs/ tree")
    p.add_argument("--out", required=True, help="output folder")
    args = p.parse_args()
    out = args.out
    os.makedirs(out, exist_ok=True)

    data_staging = os.path.join(out, "staging-data")
    make_data_staging(args.user, data_staging)
    make_ext2(data_staging, os.path.join(out, "data.ext2"), DATA_IMAGE_MIB)
    make_partitioned(os.path.join(out, "data.ext2"), os.path.join(out, "data-part.img"))

    ird_staging = os.path.join(out, "staging-initramfs")
    make_initramfs_staging(args.initramfs, ird_staging)
    archive = cpio_newc(ird_staging)
    gz = run(["gzip", "-9n"], input=archive)
    with open(os.path.join(out, "initramfs.cpio.gz"), "wb") as f:
        f.write(gz)
    # the same tree with an executable /init: the kernel must pick it (rdinit)
    with open(os.path.join(ird_staging, "init"), "w") as f:
        f.write("#!/bin/sh\n# placeholder: the kernel runs its shell until user space exists\n")
    os.chmod(os.path.join(ird_staging, "init"), 0o755)
    fix_times(ird_staging)
    with open(os.path.join(out, "initramfs-init.cpio.gz"), "wb") as f:
        f.write(run(["gzip", "-9n"], input=cpio_newc(ird_staging)))
    with open(os.path.join(out, "initramfs-truncated.cpio.gz"), "wb") as f:
        f.write(gz[:len(gz) // 2])
    # the third header: skip two entries by walking the newc headers
    off = 0
    for _ in range(2):
        namesize = int(archive[off + 94:off + 102], 16)
        filesize = int(archive[off + 54:off + 62], 16)
        off = (off + 110 + namesize + 3) & ~3
        off = (off + filesize + 3) & ~3
    bad = bytearray(archive)
    assert bad[off:off + 6] == b"070701", "mkimages: newc walk went wrong"
    bad[off:off + 6] = b"070799"
    with open(os.path.join(out, "initramfs-badmagic.cpio"), "wb") as f:
        f.write(bad)


if __name__ == "__main__":
    main()
