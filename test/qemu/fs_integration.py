#!/usr/bin/env python3
"""test/qemu/fs_integration.py - end-to-end tests of Basalt's ext2 driver on
images made by the host's mke2fs, checked afterwards by the host's e2fsck
and debugfs.

Part of the test tools, above test/qemu/basalt_qemu.py (which boots the
kernel and judges its serial output) and beside the kernel's ext2.* ktests
(src/fs/tests/ext2_ktests.c). Python standard library plus e2fsprogs
(mke2fs, e2fsck, debugfs).

One run, in a fresh temporary directory:
 1. writes the staging folder the ktests expect (the contract with
    ext2_ktests.c: /hello.txt, /pattern.bin, the sparse /tind.bin) and
    makes the image with mke2fs -d (--image: b1024, b2048, b4096 for 1, 2,
    4 KiB blocks; rev0 for revision 0 at 1 KiB; nolarge, 4 KiB without
    LARGE_FILE, which the kernel must set when a file passes 2 GiB; part,
    the file system in vda1 of an MBR disk whose other sectors hold a
    pattern that must come back unchanged);
 2. boots the kernel with the image as a virtio disk and `ktest=ext2.*`;
 3. once QEMU has exited, runs `e2fsck -fn` on the image (it must exit 0:
    the driver left the file system consistent after every workload) and
    `debugfs -R 'cat ...'` on the files the ktests left (their bytes must be
    the pattern the kernel wrote).

--damaged instead makes one small image, copies it once per damage in
DAMAGES (one structure at a time: superblock fields, a group descriptor,
the inode table, directory blocks, indirect blocks, a bitmap that
disagrees), attaches every copy as a disk and runs ext2.damaged_walk,
which mounts and walks each one (reading and writing). Each disk must
produce its error line and the kernel must neither panic nor hang.

Exit status: 0 pass, 1 fail, 2 usage or setup error.

Examples:
  fs_integration.py --elf build/debug/src/basalt.elf --image b1024
  fs_integration.py --elf build/debug/src/basalt.elf --damaged --keep
"""

import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile

SCRIPT_DIR = os.path.dirname(os.path.abspath(__file__))
DRIVER = os.path.join(SCRIPT_DIR, "basalt_qemu.py")

KTEST_OK_RE = r"^[0-9]+ passed, 0 failed, [0-9]+ skipped$"
MIB = 1024 * 1024
PATTERN_BYTES = 300000          # ext2_ktests.c PATTERN_BYTES
TIND_OFFSET = 70 * MIB          # ext2_ktests.c TIND_OFFSET

IMAGES = {
    # name: (mke2fs options, block size)
    "b1024": (["-b", "1024"], 1024),
    "b2048": (["-b", "2048"], 2048),
    "b4096": (["-b", "4096"], 4096),
    "rev0": (["-b", "1024", "-r", "0"], 1024),
    # without LARGE_FILE (cleared after mke2fs, which always sets it): the
    # triple-indirect test's file passes 4 GiB and the driver must set it
    "nolarge": (["-b", "4096", "-O", "^resize_inode"], 4096),
    # the file system in partition 1 (vda1) of an MBR disk whose other
    # sectors hold a pattern that must survive the run unchanged
    "part": (["-b", "1024"], 1024),
}
PART_START = 1 * MIB            # partition 1 of the "part" disk
PART_TAIL = 1 * MIB             # pattern after it
OUTSIDE = b"BASALT-OUTSIDE-THE-PARTITION\n"


def pattern(n, seed, start=0):
    """ext2_ktests.c kt_pattern for offsets start..start+n-1."""
    return bytes(((i * 131) + ((i >> 10) * 7) + seed * 29) & 0xFF
                 for i in range(start, start + n))


def make_stage(path, small=False):
    os.makedirs(os.path.join(path, "sub", "deeper"))
    with open(os.path.join(path, "hello.txt"), "wb") as f:
        f.write(b"hello, ext2\n")
    with open(os.path.join(path, "pattern.bin"), "wb") as f:
        f.write(pattern(PATTERN_BYTES, 1))
    if not small:
        with open(os.path.join(path, "tind.bin"), "wb") as f:
            f.seek(TIND_OFFSET)
            f.write(pattern(4096, 2, TIND_OFFSET))
    for i in range(40):
        with open(os.path.join(path, "sub", f"file_{i:02d}"), "wb") as f:
            f.write(b"entry %d\n" % i)
    with open(os.path.join(path, "sub", "deeper", "leaf.txt"), "wb") as f:
        f.write(pattern(5000, 3))
    os.symlink("hello.txt", os.path.join(path, "fast_link"))
    os.symlink("a/" * 60 + "target", os.path.join(path, "slow_link"))


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, **kw)


def mke2fs(image, size, opts, stage):
    with open(image, "wb") as f:
        f.truncate(size)
    res = run(["mke2fs", "-q", "-F", "-t", "ext2", "-N", "12000"] + opts + ["-d", stage, image])
    if res.returncode != 0:
        raise SystemExit(f"fs_integration: mke2fs failed: {res.stderr.decode(errors='replace')}")


def e2fsck(image):
    res = run(["e2fsck", "-fn", image])
    out = (res.stdout + res.stderr).decode(errors="replace")
    return res.returncode, out


def features(image):
    res = run(["dumpe2fs", "-h", image])
    for line in res.stdout.decode(errors="replace").splitlines():
        if line.startswith("Filesystem features:"):
            return line.split(":", 1)[1].split()
    return []


def debugfs_cat(image, path):
    res = run(["debugfs", "-R", f"cat {path}", image])
    return res.stdout if res.returncode == 0 else None


def base_cmd(args, log):
    return [sys.executable, DRIVER, "--elf", args.elf, "--firmware", args.firmware,
            "--machine", args.machine, "--smp", str(args.smp), "--mem", args.mem,
            "--timeout", str(args.timeout), "--log", log]


# ---- a clean image: the ktests, then e2fsck and debugfs ---------------------------------

def run_image(args, workdir, log):
    opts, bs = IMAGES[args.image]
    stage = os.path.join(workdir, "stage")
    make_stage(stage)
    image = os.path.join(workdir, f"{args.image}.img")
    mke2fs(image, args.size_mib * MIB, opts, stage)
    if args.image == "nolarge":
        run(["debugfs", "-w", "-R", "feature -large_file", image])
        if "large_file" in features(image):
            print("fs_integration: could not clear large_file")
            return None
    dev = "vda"
    disk = image
    if args.image == "part":
        dev = "vda1"
        disk = os.path.join(workdir, "disk.img")
        if not make_part_disk(disk, image):
            return None
    rc, out = e2fsck(image)
    if rc != 0:
        print(f"fs_integration: the fresh image is not clean already:\n{out}")
        return False
    print(f"fs_integration: {args.image}: {args.size_mib} MiB, {bs}-byte blocks, "
          f"mke2fs {' '.join(opts)}", flush=True)

    cmd = base_cmd(args, log) + ["--disk", disk, "serial=ext2-test",
                                 "--cmdline", f"ktest={args.ktest}",
                                 "--ktest-complete"]
    if args.ktest == "ext2.*":
        cmd += ["--expect-unordered", rf"^ext2 {dev}: mounted read-write, {bs}-byte blocks",
                "--expect-unordered", rf"^ext2kt: triple indirect: file block [0-9]+ at {bs}-byte",
                "--expect-unordered", r"^ext2kt: filled: [1-9][0-9]* bytes written before ENOSPC"]
    cmd += ["--expect", KTEST_OK_RE, "--exit", "pass"]
    booted = subprocess.run(cmd, check=False).returncode
    if booted == 2:
        return None

    ok = booted == 0
    if args.image == "part":
        ok = check_part_disk(disk, image) and ok
    rc, out = e2fsck(image)
    if rc == 0:
        print(f"fs_integration: e2fsck -fn {args.image}: clean (exit 0)")
    else:
        ok = False
        print(f"fs_integration: e2fsck -fn {args.image}: exit {rc}\n{out}")
    if args.image == "nolarge" and args.ktest == "ext2.*":
        if "large_file" in features(image):
            print("fs_integration: large_file set by the kernel (a file passed 2 GiB)")
        else:
            ok = False
            print(f"fs_integration: large_file not set: features {features(image)}")
    checks = [("/hello.txt", b"hello, ext2\n"), ("/pattern.bin", pattern(PATTERN_BYTES, 1))]
    if args.ktest == "ext2.*":
        checks.append(("/rv/data", pattern(123457, 5)))     # remount_and_verify's file
    for path, want in checks:
        got = debugfs_cat(image, path)
        if got == want:
            print(f"fs_integration: debugfs cat {path}: {len(want)} bytes as expected")
        else:
            ok = False
            print(f"fs_integration: debugfs cat {path}: "
                  f"{'missing' if got is None else f'{len(got)} bytes, differing'}")
    return ok


def make_part_disk(disk, image):
    """An MBR disk: the pattern everywhere, partition 1 = image."""
    size = os.path.getsize(image)
    total = PART_START + size + PART_TAIL
    with open(disk, "wb") as f:
        f.write((OUTSIDE * (total // len(OUTSIDE) + 1))[:total])
    res = run(["sfdisk", "-q", disk],
              input=f"start={PART_START // 512}, size={size // 512}, type=83\n".encode())
    if res.returncode != 0:
        print(f"fs_integration: sfdisk failed: {res.stderr.decode(errors='replace')}")
        return False
    with open(disk, "r+b") as f, open(image, "rb") as g:
        f.seek(PART_START)
        f.write(g.read())
    with open(disk, "rb") as f:
        global PART_ORIGINAL_OUTSIDE
        data = f.read()
        PART_ORIGINAL_OUTSIDE = data[:PART_START] + data[PART_START + size:]
    return True


PART_ORIGINAL_OUTSIDE = b""


def check_part_disk(disk, image):
    """Nothing outside the partition changed; the partition back into image."""
    size = os.path.getsize(image)
    with open(disk, "rb") as f:
        data = f.read()
    outside = data[:PART_START] + data[PART_START + size:]
    with open(image, "wb") as g:
        g.write(data[PART_START:PART_START + size])
    if outside == PART_ORIGINAL_OUTSIDE:
        print(f"fs_integration: the {len(outside)} bytes outside vda1 are unchanged")
        return True
    bad = [i for i in range(0, len(outside), 512)
           if outside[i:i + 512] != PART_ORIGINAL_OUTSIDE[i:i + 512]]
    print(f"fs_integration: {len(bad)} sectors outside vda1 changed (first at byte {bad[0]} "
          f"of the outside)")
    return False


# ---- damaged images ------------------------------------------------------------------------

class Ext2:
    """Just enough of an ext2 image in memory to find and damage its structures."""

    def __init__(self, data):
        self.d = bytearray(data)
        sb = 1024
        (self.inodes_count, self.blocks_count) = struct.unpack_from("<II", self.d, sb)
        self.first_data_block, log_bs = struct.unpack_from("<II", self.d, sb + 20)
        self.bs = 1024 << log_bs
        self.ipg = struct.unpack_from("<I", self.d, sb + 40)[0]
        rev = struct.unpack_from("<I", self.d, sb + 76)[0]
        self.isize = struct.unpack_from("<H", self.d, sb + 88)[0] if rev else 128

    def gd_off(self, g):
        return (self.first_data_block + 1) * self.bs + 32 * g

    def gd(self, g):
        return struct.unpack_from("<III", self.d, self.gd_off(g))

    def inode_off(self, ino):
        g, idx = divmod(ino - 1, self.ipg)
        return self.gd(g)[2] * self.bs + idx * self.isize

    def iblock(self, ino, i):
        return struct.unpack_from("<I", self.d, self.inode_off(ino) + 40 + 4 * i)[0]

    def entries(self, ino):
        """(offset of the entry in the image, inode, rec_len, name) of the first block."""
        base = self.iblock(ino, 0) * self.bs
        pos, out = 0, []
        while pos < self.bs:
            e_ino, rec_len, name_len = struct.unpack_from("<IHB", self.d, base + pos)
            out.append((base + pos, e_ino, rec_len,
                        bytes(self.d[base + pos + 8:base + pos + 8 + name_len])))
            if rec_len == 0:
                break
            pos += rec_len
        return out

    def lookup(self, dir_ino, name):
        for _, e_ino, _, n in self.entries(dir_ino):
            if n == name.encode():
                return e_ino
        raise KeyError(name)

    def put32(self, off, v):
        struct.pack_into("<I", self.d, off, v & 0xFFFFFFFF)

    def put16(self, off, v):
        struct.pack_into("<H", self.d, off, v & 0xFFFF)


def d_sb_magic(x):
    x.put16(1024 + 56, 0)


def d_sb_block_size(x):
    x.put32(1024 + 24, 7)


def d_sb_blocks_count(x):
    x.put32(1024 + 4, x.blocks_count * 4)


def d_sb_inodes_per_group(x):
    x.put32(1024 + 40, 0)


def d_sb_incompat(x):
    x.put32(1024 + 96, struct.unpack_from("<I", x.d, 1024 + 96)[0] | 0x40)     # extent


def d_sb_ro_compat(x):
    x.put32(1024 + 100, struct.unpack_from("<I", x.d, 1024 + 100)[0] | 0x10000000)


def d_gd_block_bitmap(x):
    x.put32(x.gd_off(0), x.blocks_count + 5)


def d_gd_inode_table(x):
    x.put32(x.gd_off(0) + 8, x.first_data_block)     # on the superblock


def d_bitmap_disagrees(x):
    bitmap = x.gd(0)[0] * x.bs                        # every block marked used
    x.d[bitmap:bitmap + x.bs] = b"\xff" * x.bs


def d_root_inode_mode(x):
    x.put16(x.inode_off(2), 0)


def d_file_block_range(x):
    x.put32(x.inode_off(x.lookup(2, "hello.txt")) + 40, 0xFFFFFF00)


def d_dir_size(x):
    x.put32(x.inode_off(x.lookup(2, "sub")) + 4, 1000)


def d_dir_rec_len_zero(x):
    off = x.entries(2)[2][0]                          # the root's third entry
    x.put16(off + 4, 0)


def d_dir_entry_crosses(x):
    sub = x.lookup(2, "sub")
    last = x.entries(sub)[-1][0]
    x.put16(last + 4, struct.unpack_from("<H", x.d, last + 4)[0] + 8)


def d_indirect_loop(x):
    ino = x.lookup(2, "pattern.bin")
    ind = x.iblock(ino, 12)
    x.put32(ind * x.bs, ind)                          # the indirect block names itself


def d_indirect_range(x):
    ino = x.lookup(2, "pattern.bin")
    dind = x.iblock(ino, 13)
    x.put32(dind * x.bs, x.blocks_count + 100)


# (name, damage, regexes of lines the run must print; {dev} is the disk's name)
DAMAGES = [
    ("sb_magic", d_sb_magic, r"^ext2 {dev}: not a usable ext2 file system: bad magic"),
    ("sb_block_size", d_sb_block_size,
     r"^ext2 {dev}: not a usable ext2 file system: unsupported block size"),
    ("sb_blocks_count", d_sb_blocks_count,
     r"^ext2 {dev}: not a usable ext2 file system: file system larger than the device"),
    ("sb_inodes_per_group", d_sb_inodes_per_group,
     r"^ext2 {dev}: not a usable ext2 file system: bad inodes per group"),
    ("sb_incompat", d_sb_incompat, r"^ext2 {dev}: unsupported INCOMPAT feature extent"),
    ("sb_ro_compat", d_sb_ro_compat,
     r"^ext2 {dev}: unsupported RO_COMPAT feature .*: mounting read-only",
     r"^ext2kt: {dev}: remount read-write: error -30$"),
    ("gd_block_bitmap", d_gd_block_bitmap, r"^ext2 {dev}: group 0: descriptor damaged"),
    ("gd_inode_table", d_gd_inode_table, r"^ext2 {dev}: group 0: descriptor damaged"),
    ("bitmap_disagrees", d_bitmap_disagrees,
     r"^ext2 {dev}: group 0: [0-9]+ free blocks counted, none in its bitmap"),
    ("inode_root_mode", d_root_inode_mode, r"^ext2 {dev}: inode 2 damaged"),
    ("inode_block_range", d_file_block_range,
     r"^ext2 {dev}: inode [0-9]+: block pointer 4294967040 out of range"),
    ("inode_dir_size", d_dir_size, r"^ext2 {dev}: inode [0-9]+ damaged"),
    ("dir_rec_len_zero", d_dir_rec_len_zero,
     r"^ext2 {dev}: directory 2 block [0-9]+: damaged entry"),
    ("dir_entry_crosses", d_dir_entry_crosses,
     r"^ext2 {dev}: directory [0-9]+ block [0-9]+: damaged entry"),
    ("indirect_loop", d_indirect_loop,
     r"^ext2 {dev}: inode [0-9]+: indirect block ([0-9]+) holds a bad pointer \1"),
    ("indirect_range", d_indirect_range,
     r"^ext2 {dev}: inode [0-9]+: indirect block [0-9]+ holds a bad pointer [0-9]+"),
]


def run_damaged(args, workdir, log):
    stage = os.path.join(workdir, "stage")
    make_stage(stage, small=True)
    base = os.path.join(workdir, "base.img")
    mke2fs(base, 8 * MIB, ["-b", "1024", "-O", "^resize_inode"], stage)
    with open(base, "rb") as f:
        data = f.read()
    cmd = base_cmd(args, log)
    expect = []
    for i, (name, damage, *rxs) in enumerate(DAMAGES):
        x = Ext2(data)
        damage(x)
        path = os.path.join(workdir, f"damaged-{name}.img")
        with open(path, "wb") as f:
            f.write(x.d)
        dev = "vd" + chr(ord("a") + i)
        cmd += ["--disk", path, f"serial=dmg-{i}"]
        for rx in rxs:
            expect += ["--expect-unordered", rx.format(dev=dev)]
        print(f"fs_integration: {dev}: {name}", flush=True)
    cmd += ["--cmdline", "ktest=ext2.damaged_walk", "--ktest-complete"] + expect
    cmd += ["--expect", KTEST_OK_RE, "--exit", "pass"]
    rc = subprocess.run(cmd, check=False).returncode
    return None if rc == 2 else rc == 0


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--elf", required=True)
    p.add_argument("--image", choices=sorted(IMAGES), default="b1024")
    p.add_argument("--damaged", action="store_true", help="the damaged-image run instead")
    p.add_argument("--size-mib", type=int, default=24, help="image size (default 24)")
    p.add_argument("--ktest", default="ext2.*", help="ktest filter (default ext2.*)")
    p.add_argument("--firmware", default="bios")
    p.add_argument("--machine", default="pc")
    p.add_argument("--smp", type=int, default=2)
    p.add_argument("--mem", default="128M")
    p.add_argument("--timeout", type=int, default=600)
    p.add_argument("--log")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    if not os.path.isfile(args.elf):
        print(f"fs_integration: error: --elf {args.elf} does not exist", file=sys.stderr)
        return 2
    for tool in ("mke2fs", "e2fsck", "debugfs", "dumpe2fs", "sfdisk"):
        if not shutil.which(tool):
            print(f"fs_integration: error: {tool} not found (Debian package e2fsprogs)",
                  file=sys.stderr)
            return 2
    # next to the log when there is one (ctest's build tree), not in a /tmp
    # that other test runs on the machine may sweep
    parent = os.path.dirname(os.path.abspath(args.log)) if args.log else None
    workdir = tempfile.mkdtemp(prefix="basalt-fs-", dir=parent)
    log = os.path.abspath(args.log) if args.log else os.path.join(workdir, "serial.log")
    passed = False
    try:
        result = run_damaged(args, workdir, log) if args.damaged else \
            run_image(args, workdir, log)
        if result is None:
            return 2
        passed = result
        print("fs_integration: " + ("PASS" if passed else f"FAIL (serial log {log})"))
        return 0 if passed else 1
    finally:
        if args.keep or not passed:
            print(f"fs_integration: kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
