#!/usr/bin/env python3
"""test/qemu/pseudo_integration.py - the pseudo.* ktests with real disks.

Part of the test tools, above test/qemu/basalt_qemu.py. Builds a 16 MiB
disk image with a DOS label (sfdisk(8)) in a fresh temporary directory:
partition 1 at sector 2048 and partition 2 at sector 12288, 8192 sectors
each, whose first sector holds a marker ("PART-vda1", "PART-vda2"), and an
unpartitioned 4 MiB second disk. It boots the kernel with both and runs the
pseudo.* ktests (src/fs/tests/pseudo_ktests.c), which then see vda, vda1,
vda2 and vdb as /dev nodes, /sys/block directories and /proc/partitions
lines, read and rewrite each through its block device file and check the
markers. Every pseudo test must run: a SKIP fails the entry.

Extra arguments go to basalt_qemu.py (e.g. --smp 2).
Exit status: 0 pass, 1 fail, 2 usage or setup error.

Example:
  pseudo_integration.py --elf build/debug/src/basalt.elf --smp 2
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DRIVER = os.path.join(HERE, "basalt_qemu.py")
PARTS = {"vda1": 2048, "vda2": 12288}
SCRIPT = "label: dos\nstart=2048, size=8192, type=83\nstart=12288, size=8192, type=83\n"


def find_sfdisk():
    for cand in (shutil.which("sfdisk"), "/usr/sbin/sfdisk", "/sbin/sfdisk"):
        if cand and os.access(cand, os.X_OK):
            return cand
    return None


def build(tmp, sfdisk):
    a = os.path.join(tmp, "vda.img")
    b = os.path.join(tmp, "vdb.img")
    with open(a, "wb") as f:
        f.truncate(16 << 20)
    subprocess.run([sfdisk, "-q", a], input=SCRIPT.encode(), check=True)
    with open(a, "r+b") as f:
        for part, lba in PARTS.items():
            f.seek(lba * 512)
            f.write(f"PART-{part}".encode())
    with open(b, "wb") as f:
        f.truncate(4 << 20)
    return a, b


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--elf", required=True)
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--log")
    args, extra = p.parse_known_args(argv)

    sfdisk = find_sfdisk()
    if not sfdisk:
        print("pseudo_integration: sfdisk not found (util-linux's fdisk package)", file=sys.stderr)
        return 2
    tmp = tempfile.mkdtemp(prefix="basalt-pseudo-")
    try:
        try:
            a, b = build(tmp, sfdisk)
        except (OSError, subprocess.CalledProcessError) as e:
            print(f"pseudo_integration: building the images failed: {e}", file=sys.stderr)
            return 2
        cmd = [sys.executable, DRIVER, "--elf", args.elf, "--timeout", str(args.timeout),
               "--disk", a, "--disk", b, "--cmdline", "ktest=pseudo.*",
               "--ktest-complete", "--expect", r"^[0-9]+ passed, 0 failed, 0 skipped$",
               "--reject", r"^ktest: SKIP pseudo\.", "--exit", "pass"]
        if args.log:
            cmd += ["--log", args.log]
        return subprocess.run(cmd + extra).returncode
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
