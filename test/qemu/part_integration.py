#!/usr/bin/env python3
"""test/qemu/part_integration.py - partition devices on real virtio-blk disks.

Part of the test tools, above test/qemu/basalt_qemu.py. Builds three disk
images with sfdisk(8) in a fresh temporary directory, boots the kernel with
them and judges what it says and what its shell shows:

  vda  16 MiB, DOS label: 1 (sectors 2048..18431), 2 extended
       (18432..32767) holding logicals 5 (20480..24575) and 6 (26624..30719)
  vdb   8 MiB, GPT: 1 "alpha" (2048..6143), 2 "beta" (8192..14335)
  vdc   1 MiB, no label: used whole

Each partition's first sector holds a marker written on the host
("PART-vda1" ...), so `blkread vda1 0` proves requests land at the
partition's offset, and `blkread vda1 16384` that its own end is the limit.
The kernel must register vda1 vda5 vda6 (254:1, 254:5, 254:6), vdb1 vdb2
(254:17, 254:18), and nothing for the extended container or vdc.

Exit status: 0 pass, 1 fail, 2 usage or setup error.

Example:
  part_integration.py --elf build/debug/src/basalt.elf
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DRIVER = os.path.join(HERE, "basalt_qemu.py")
PROMPT_RE = r"^basalt> $"
LINUX_FS = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"

# (image, size in MiB, sfdisk script, {partition name: first sector})
DISKS = [
    ("vda", 16, "label: dos\n"
                "start=2048, size=16384, type=83\n"
                "start=18432, size=14336, type=5\n"
                "start=20480, size=4096, type=83\n"
                "start=26624, size=4096, type=82\n",
     {"vda1": 2048, "vda5": 20480, "vda6": 26624}),
    ("vdb", 8, "label: gpt\n"
               f"start=2048, size=4096, type={LINUX_FS}, name=alpha\n"
               f"start=8192, size=6144, type={LINUX_FS}, name=beta\n",
     {"vdb1": 2048, "vdb2": 8192}),
    ("vdc", 1, None, {}),
]


def find_sfdisk():
    for cand in (shutil.which("sfdisk"), "/usr/sbin/sfdisk", "/sbin/sfdisk"):
        if cand and os.access(cand, os.X_OK):
            return cand
    return None


def build(tmp, sfdisk):
    paths = []
    for name, mib, script, markers in DISKS:
        path = os.path.join(tmp, f"{name}.img")
        with open(path, "wb") as f:
            f.truncate(mib << 20)
        if script:
            subprocess.run([sfdisk, "-q", path], input=script.encode(), check=True)
        with open(path, "r+b") as f:
            for part, lba in markers.items():
                f.seek(lba * 512)
                f.write(f"PART-{part}".encode())
        paths.append(path)
    return paths


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--elf", required=True)
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--log")
    args = p.parse_args(argv)

    sfdisk = find_sfdisk()
    if not sfdisk:
        print("part_integration: sfdisk not found (util-linux's fdisk package)", file=sys.stderr)
        return 2
    tmp = tempfile.mkdtemp(prefix="basalt-part-")
    try:
        try:
            paths = build(tmp, sfdisk)
        except (OSError, subprocess.CalledProcessError) as e:
            print(f"part_integration: building the images failed: {e}", file=sys.stderr)
            return 2
        cmd = [sys.executable, DRIVER, "--elf", args.elf, "--timeout", str(args.timeout)]
        if args.log:
            cmd += ["--log", args.log]
        for path, (name, _, _, _) in zip(paths, DISKS):
            cmd += ["--disk", path, f"serial=part-{name}"]
        # the kernel's lines as it registers the partitions
        cmd += ["--expect-unordered", r"^blk: vda1: MBR partition 1, sectors 2048\.\.18431 \(8\.0 MiB\), 254:1$",
                "--expect-unordered", r"^blk: vda: partition 2 not registered: an extended partition",
                "--expect-unordered", r"^blk: vda5: MBR partition 5, sectors 20480\.\.24575 \(2\.0 MiB\), 254:5$",
                "--expect-unordered", r"^blk: vda6: MBR partition 6, sectors 26624\.\.30719 \(2\.0 MiB\), 254:6$",
                "--expect-unordered", r"^blk: vdb1: GPT partition 1, sectors 2048\.\.6143 \(2\.0 MiB\), 254:17$",
                "--expect-unordered", r"^blk: vdb2: GPT partition 2, sectors 8192\.\.14335 \(3\.0 MiB\), 254:18$",
                "--reject", r"^blk: vdc\d",
                "--reject", r"^blk: vda2:"]
        # the shell: the list, each partition's marker at its sector 0, its end
        cmd += ["--send-after", PROMPT_RE, "blk\r",
                "--send-after", PROMPT_RE, "blkread vda1 0\r",
                "--send-after", PROMPT_RE, "blkread vda6 0\r",
                "--send-after", PROMPT_RE, "blkread vdb2 0\r",
                "--send-after", PROMPT_RE, "blkread vda1 16384\r",
                "--send-after", PROMPT_RE, "echo done\r",
                "--expect", r"^vda1 +16384 ",
                "--expect", r"^vdb2 +6144 ",
                "--expect", r"^00000000  50 41 52 54 2d 76 64 61  31 00 .*\|PART-vda1",
                "--expect", r"^00000000  50 41 52 54 2d 76 64 61  36 00 .*\|PART-vda6",
                "--expect", r"^00000000  50 41 52 54 2d 76 64 62  32 00 .*\|PART-vdb2",
                "--expect", r"^blkread: sector 16384 is past the end of vda1 \(16384 sectors\)$",
                "--expect", r"^done$", "--until", r"^done$"]
        return subprocess.run(cmd).returncode
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
