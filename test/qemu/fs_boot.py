#!/usr/bin/env python3
"""test/qemu/fs_boot.py - boots Basalt with the build's data disk and/or
initramfs and checks the disk on the host afterwards.

Part of the test tools, above test/qemu/basalt_qemu.py (which boots the
kernel and judges its serial output); the images come from
images/mkimages.py (<build>/images). Python standard library plus
e2fsprogs (e2fsck, debugfs).

One run:
 1. copies the disk image (--disk data.ext2 or data-part.img; the build's
    copy stays pristine) into a fresh work directory;
 2. boots through basalt_qemu.py with that disk, --initrd if given, and the
    command line: --cmdline words, then cmd='<--shell commands>' when given
    (the shell runs them after boot; end them with poweroff), or
    ktest=<--ktest glob>; every --expect/--reject/--exit goes to the driver;
 3. after QEMU has exited: with --fsck, `e2fsck -fn` on the file system
    (for a partitioned disk, partition 1 copied out first: --part-offset
    sectors) must exit 0; each --host-cat PATH TEXT requires `debugfs -R
    'cat PATH'` to print exactly TEXT (escapes \\n \\t \\\\); each --host-missing
    PATH requires PATH to be gone; each --host-link PATH TARGET requires PATH
    to be a symlink to TARGET (debugfs stat); --host-big checks /test/big.dat block by
    block against images/mkimages.py's pattern.
Exit status: 0 pass, 1 fail, 2 usage or setup error.

Examples:
  fs_boot.py --elf build/debug/src/basalt.elf --images build/debug/images \\
      --disk data.ext2 --cmdline 'root=/dev/vda rw' \\
      --shell 'mkdir /new; poweroff' --exit poweroff --fsck
  fs_boot.py --elf basalt.elf --images build/debug/images \\
      --initrd initramfs-truncated.cpio.gz --ktest 'rootfs.*'
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

SCRIPT_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(SCRIPT_DIR))
DRIVER = os.path.join(SCRIPT_DIR, "basalt_qemu.py")
sys.path.insert(0, os.path.join(REPO_ROOT, "images"))
import mkimages  # noqa: E402  (the pattern of /test/big.dat, the partition start)


def unescape(text):
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            i += 1
            out.append({"n": "\n", "t": "\t", "\\": "\\"}.get(text[i], "\\" + text[i]))
        else:
            out.append(c)
        i += 1
    return "".join(out)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--elf", required=True, help="kernel ELF")
    p.add_argument("--images", required=True, help="the build's images folder")
    p.add_argument("--disk", default=None, help="image in --images to attach (copied)")
    p.add_argument("--initrd", default=None, help="initramfs in --images (or a path)")
    p.add_argument("--mem", default="128M")
    p.add_argument("--smp", type=int, default=1)
    p.add_argument("--cmdline", default="", help="kernel command-line words")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--shell", default=None, metavar="CMDS", help="cmd='CMDS' at boot")
    mode.add_argument("--ktest", default=None, metavar="GLOB", help="ktest=GLOB")
    p.add_argument("--expect", action="append", default=[], metavar="REGEX")
    p.add_argument("--expect-unordered", action="append", default=[], metavar="REGEX")
    p.add_argument("--reject", action="append", default=[], metavar="REGEX")
    p.add_argument("--until", default=None, metavar="REGEX")
    p.add_argument("--exit", default=None, choices=["pass", "fail", "any", "poweroff", "reset"])
    p.add_argument("--ktest-complete", action="store_true")
    p.add_argument("--fsck", action="store_true", help="e2fsck -fn must pass afterwards")
    p.add_argument("--part-offset", type=int, default=None, metavar="SECTORS",
                   help="the file system starts there (default: 0, or the partition "
                        "start for data-part.img)")
    p.add_argument("--host-cat", action="append", nargs=2, default=[], metavar=("PATH", "TEXT"))
    p.add_argument("--host-missing", action="append", default=[], metavar="PATH")
    p.add_argument("--host-link", action="append", nargs=2, default=[], metavar=("PATH", "TARGET"))
    p.add_argument("--host-big", action="store_true",
                   help="check /test/big.dat against the pattern")
    p.add_argument("--timeout", type=float, default=120.0)
    p.add_argument("--log", default=None)
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    args = p.parse_args(argv)
    if args.shell is not None and "'" in args.shell:
        p.error("--shell commands go inside cmd='...': no single quotes")
    if (args.fsck or args.host_cat or args.host_missing or args.host_link or args.host_big) \
            and not args.disk:
        p.error("host checks need --disk")
    if args.part_offset is None:
        args.part_offset = (mkimages.PART_START_SECTOR
                            if args.disk and "part" in os.path.basename(args.disk) else 0)
    return args


def image_path(images, name):
    return name if os.path.isabs(name) or os.path.exists(name) else os.path.join(images, name)


def extract_fs(disk, offset_sectors, workdir):
    """The file system's bytes as a file of their own (for e2fsck/debugfs)."""
    if offset_sectors == 0:
        return disk
    out = os.path.join(workdir, "fs.img")
    with open(disk, "rb") as src, open(out, "wb") as dst:
        src.seek(offset_sectors * 512)
        shutil.copyfileobj(src, dst, 1 << 20)
    return out


def debugfs_cat(fs, path):
    r = subprocess.run(["debugfs", "-R", f"cat {path}", fs], capture_output=True)
    return r.returncode, r.stdout, r.stderr.decode(errors="replace")


def host_checks(args, fs):
    ok = True
    if args.fsck:
        r = subprocess.run(["e2fsck", "-fn", fs], capture_output=True, text=True)
        print(f"fs_boot: e2fsck -fn: exit {r.returncode}")
        if r.returncode != 0:
            print(r.stdout + r.stderr)
            ok = False
    for path, text in args.host_cat:
        want = unescape(text).encode()
        rc, got, err = debugfs_cat(fs, path)
        if got != want:
            print(f"fs_boot: FAIL debugfs cat {path}: got {got[:200]!r}, want {want!r} {err.strip()}")
            ok = False
        else:
            print(f"fs_boot: debugfs cat {path}: {len(got)} bytes as expected")
    for path in args.host_missing:
        r = subprocess.run(["debugfs", "-R", f"stat {path}", fs], capture_output=True, text=True)
        if "File not found" not in r.stderr:
            print(f"fs_boot: FAIL {path} still exists on the disk")
            ok = False
    for path, target in args.host_link:
        r = subprocess.run(["debugfs", "-R", f"stat {path}", fs], capture_output=True, text=True)
        m = re.search(r'(?:Fast link dest|Link dest): "(.*)"', r.stdout)
        if "Type: symlink" not in r.stdout or not m or m.group(1) != target:
            print(f"fs_boot: FAIL {path} is not a symlink to {target!r}: "
                  f"{m.group(1) if m else r.stderr.strip() or 'no link target'}")
            ok = False
        else:
            print(f"fs_boot: {path} -> {target} as expected")
    if args.host_big:
        rc, got, err = debugfs_cat(fs, "/test/big.dat")
        want_len = mkimages.BIG_BLOCKS * mkimages.BLOCK
        if len(got) != want_len:
            print(f"fs_boot: FAIL /test/big.dat is {len(got)} bytes, want {want_len}")
            ok = False
        else:
            bad = [i for i in range(mkimages.BIG_BLOCKS)
                   if got[i * 1024:(i + 1) * 1024] != mkimages.big_block(i)]
            if bad:
                print(f"fs_boot: FAIL /test/big.dat: {len(bad)} blocks differ, first {bad[0]}")
                ok = False
    return ok


def main(argv):
    args = parse_args(argv)
    for tool in ("e2fsck", "debugfs"):
        if not shutil.which(tool) and not os.path.exists(f"/usr/sbin/{tool}"):
            print(f"fs_boot: error: {tool} not found (Debian package e2fsprogs)", file=sys.stderr)
            return 2
    os.environ["PATH"] = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    workdir = tempfile.mkdtemp(prefix="basalt-fs-")
    log = os.path.abspath(args.log) if args.log else os.path.join(workdir, "serial.log")
    passed = False
    try:
        cmd = [sys.executable, DRIVER, "--elf", args.elf, "--mem", args.mem,
               "--smp", str(args.smp), "--timeout", str(args.timeout), "--log", log]
        disk = None
        if args.disk:
            src = image_path(args.images, args.disk)
            if not os.path.isfile(src):
                print(f"fs_boot: error: no disk image {src} (build the images target)",
                      file=sys.stderr)
                return 2
            disk = os.path.join(workdir, os.path.basename(src))
            shutil.copyfile(src, disk)
            cmd += ["--disk", disk]
        if args.initrd:
            initrd = image_path(args.images, args.initrd)
            if not os.path.isfile(initrd):
                print(f"fs_boot: error: no initramfs {initrd}", file=sys.stderr)
                return 2
            cmd += ["--initrd", initrd]
        words = [args.cmdline] if args.cmdline else []
        if args.shell is not None:
            words.append(f"cmd='{args.shell}'")
        if args.ktest is not None:
            words.append(f"ktest={args.ktest}")
        cmd += ["--cmdline", " ".join(words)]
        for r in args.expect:
            cmd += ["--expect", r]
        for r in args.expect_unordered:
            cmd += ["--expect-unordered", r]
        for r in args.reject:
            cmd += ["--reject", r]
        if args.until:
            cmd += ["--until", args.until]
        if args.exit:
            cmd += ["--exit", args.exit]
        if args.ktest_complete:
            cmd.append("--ktest-complete")
        rc = subprocess.run(cmd, check=False).returncode
        if rc == 2:
            return 2
        passed = rc == 0
        if disk:
            passed = host_checks(args, extract_fs(disk, args.part_offset, workdir)) and passed
        print("fs_boot: " + ("PASS" if passed else f"FAIL (serial log {log})"))
        return 0 if passed else 1
    finally:
        if args.keep or not passed:
            print(f"fs_boot: kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
