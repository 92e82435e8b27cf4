#!/usr/bin/env python3
"""test/qemu/blk_integration.py - end-to-end tests and benchmarks of Basalt's
VirtIO drivers (virtio-blk, virtio-rng) on disk images this script builds.

Part of the test tools, above test/qemu/basalt_qemu.py (which boots the
kernel and judges its serial output) and beside the kernel's vblk.* and
bench.vblk_* ktests (src/dev/tests/virtio_blk_ktests.c). Python standard
library only, plus cmp(1) from diffutils.

One run:
 1. builds the disk images in a fresh temporary directory, every 512-byte
    sector filled with the test pattern below, one random seed per disk;
 2. boots the kernel through basalt_qemu.py with the disks (each with a
    serial number the kernel finds it by), a virtio-rng-pci device, and
    `ktest=vblk.*` (or --shell commands, or --bench);
 3. once QEMU has exited, builds the image each disk must now be (the
    original with the sectors the kernel writes rewritten) and compares it
    with the real one using cmp: exactly those sectors, and nothing else,
    must have changed. A difference is shown by sector.
Exit status: 0 pass, 1 fail, 2 usage or setup error.

The disks, in PCI order (the kernel names them vda, vdb, vdc):
  a    vblk-a    4 MiB
  b    vblk-b    2 MiB + 1536 bytes = 4099 sectors, not a whole number of 4 KiB
  eio  vblk-eio  1 MiB behind QEMU's blkdebug driver, which fails every read
                 of sector 100 with EIO
  --odd-4k adds a fourth, vblk-4k, the size of b but with 4096-byte logical
  blocks: its capacity is not a whole number of blocks and the kernel must
  refuse it. --bench replaces them all with vblk-bench (--bench-mib MiB).

The pattern (the contract with the kernel's tests): sector l of a disk of n
sectors with seed s is 64 little-endian 64-bit words w[0..63]:
  w[0] = "BSLTVBLK"   w[1] = l   w[2] = s   w[3] = n
  w[j] = mix(s + j * GOLDEN) ^ mix(s ^ (l * GOLDEN)), j = 4..63
with mix the splitmix64 finaliser and arithmetic mod 2^64. The kernel's
vblk.write_patterns rewrites 300 sectors with seed ~s: on a from sector
1000, on b the last 300 (up to its odd end).

Benchmarks (--bench): the kernel's bench.vblk_* ktests report MB/s and
IOPS; this script then reads the same image file on the host with the page
cache warm (one untimed pass first): sequentially in 64 KiB os.pread calls
(best of three passes) and in 4 KiB os.pread calls at random 4 KiB-aligned
places, and prints each guest figure beside the host's as a ratio.

Examples:
  blk_integration.py --elf build/debug/src/basalt.elf
  blk_integration.py --elf basalt.elf --firmware uefi --machine q35
  blk_integration.py --elf basalt.elf --intx            # vectors=0 on every device
  blk_integration.py --elf basalt.elf --shell 'blk; blkread vdb 4099'
  blk_integration.py --elf build/release/src/basalt.elf --bench
"""

import argparse
import fnmatch
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

SCRIPT_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, SCRIPT_DIR)
from basalt_qemu import qemu_opt  # noqa: E402  (the driver's own option escaping)

DRIVER = os.path.join(SCRIPT_DIR, "basalt_qemu.py")

SECTOR = 512
MASK64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
MAGIC = b"BSLTVBLK"
HEADER = struct.Struct("<8sQQQ")
BODY_WORDS = SECTOR // 8 - 4
# k * REPEAT puts the 64-bit k in each of the body's words (they never overlap)
REPEAT = sum(1 << (64 * i) for i in range(BODY_WORDS))

WRITE_LBA_A = 1000          # VBLK_WRITE_LBA_A
WRITE_COUNT = 300           # VBLK_WRITE_COUNT
EIO_LBA = 100               # VBLK_EIO_LBA
MIB = 1024 * 1024

KTEST_OK_RE = r"^[0-9]+ passed, 0 failed, [0-9]+ skipped$"
KTEST_FAILED_RE = r"^[0-9]+ passed, [1-9][0-9]* failed, [0-9]+ skipped$"
BENCH_RE = re.compile(r"bench: vblk (.+?): ([0-9.]+) MB/s, ([0-9]+) IOPS")


def mix(z):
    z &= MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


class Pattern:
    """The sectors of one seed on a disk of n sectors."""

    def __init__(self, seed, sectors):
        self.seed, self.sectors = seed, sectors
        words = b"".join(mix(seed + j * GOLDEN).to_bytes(8, "little")
                         for j in range(4, 4 + BODY_WORDS))
        self.table = int.from_bytes(words, "little")

    def sector(self, lba):
        k = mix(self.seed ^ ((lba * GOLDEN) & MASK64))
        body = (self.table ^ (k * REPEAT)).to_bytes(SECTOR - HEADER.size, "little")
        return HEADER.pack(MAGIC, lba, self.seed, self.sectors) + body

    def sectors_bytes(self, lba, count):
        return b"".join(self.sector(lba + i) for i in range(count))


class Disk:
    """One image: its role, serial, size, seed, and what the kernel rewrites."""

    def __init__(self, role, serial, size, seed, workdir, rewrite=None, device_opts=""):
        self.role, self.serial, self.size, self.seed = role, serial, size, seed
        self.sectors = size // SECTOR
        self.path = os.path.join(workdir, f"disk-{role}.img")
        self.rewrite = rewrite      # (lba, count) the kernel writes with seed ~s, or None
        self.device_opts = device_opts
        self.corrupt = None         # sector whose byte 40 the host flips (--corrupt)

    def write_image(self, path, rewritten):
        """The original image (rewritten: with the kernel's writes) to path."""
        base = Pattern(self.seed, self.sectors)
        new = Pattern(self.seed ^ MASK64, self.sectors)
        chunk = 2048
        with open(path, "wb") as f:
            for lba in range(0, self.sectors, chunk):
                n = min(chunk, self.sectors - lba)
                data = bytearray(base.sectors_bytes(lba, n))
                if rewritten and self.rewrite:
                    lo, count = self.rewrite
                    for l in range(max(lo, lba), min(lo + count, lba + n)):
                        data[(l - lba) * SECTOR:(l - lba + 1) * SECTOR] = new.sector(l)
                if self.corrupt is not None and lba <= self.corrupt < lba + n:
                    data[(self.corrupt - lba) * SECTOR + 40] ^= 0x01
                f.write(data)
            f.write(b"\0" * (self.size - self.sectors * SECTOR))


def new_seed(rng):
    """A seed other than 0 and ~0 (the kernel's checks use 0 for 'any')."""
    while True:
        s = rng.getrandbits(64)
        if s not in (0, MASK64):
            return s


def ktest_selected(glob, name):
    return fnmatch.fnmatchcase(name, glob)


def plan_disks(args, workdir, rng):
    if args.bench:
        return [Disk("bench", "vblk-bench", args.bench_mib * MIB, new_seed(rng), workdir)]
    writes = args.shell is None and ktest_selected(args.ktest, "vblk.write_patterns")
    size_b = 2 * MIB + 1536
    disks = [
        Disk("a", "vblk-a", 4 * MIB, new_seed(rng), workdir,
             (WRITE_LBA_A, WRITE_COUNT) if writes else None),
        Disk("b", "vblk-b", size_b, new_seed(rng), workdir,
             (size_b // SECTOR - WRITE_COUNT, WRITE_COUNT) if writes else None),
    ]
    if args.odd_4k:
        disks.append(Disk("4k", "vblk-4k", size_b, new_seed(rng), workdir,
                          device_opts="logical_block_size=4096,physical_block_size=4096"))
    disks.append(Disk("eio", "vblk-eio", 1 * MIB, new_seed(rng), workdir))
    return disks


def driver_command(args, disks, workdir, log):
    vectors = ",vectors=0" if args.intx else ""
    cmd = [sys.executable, DRIVER, "--elf", args.elf, "--firmware", args.firmware,
           "--machine", args.machine, "--smp", str(args.smp), "--mem", args.mem,
           "--timeout", str(args.timeout), "--log", log]
    for d in disks:
        opts = f"serial={d.serial}" + (f",{d.device_opts}" if d.device_opts else "") + vectors
        if d.role != "eio":
            cmd += ["--disk", d.path, opts]
            continue
        cfg = os.path.join(workdir, "blkdebug.conf")
        with open(cfg, "w", encoding="ascii") as f:
            f.write(f'[inject-error]\nevent = "read_aio"\nerrno = "5"\nsector = "{EIO_LBA}"\n')
        cmd += ["--qemu-arg=-drive",
                f"--qemu-arg=driver=raw,file.driver=blkdebug,file.config={qemu_opt(cfg)},"
                f"file.image.filename={qemu_opt(d.path)},if=none,id=eio",
                "--device", f"virtio-blk-pci,drive=eio,{opts}"]
    if not args.bench:
        cmd += ["--device", "virtio-rng-pci" + vectors]

    cmdline = list(args.cmdline)
    if args.noeventidx:
        cmdline.append("virtio.noeventidx")
    mode = "INTx" if args.intx else "MSI-X"
    expect = []
    # every device probed gets the next number, the refused 4k one included
    for i, d in enumerate(disks):
        if d.role != "4k":
            expect += ["--expect-unordered", rf"^virtio-blk{i}: ready \({mode}, "]
    if args.noeventidx:
        # features printed in hex: of bits 28-31 only 28 (INDIRECT_DESC) may be set, so
        # EVENT_IDX (29) is clear
        expect += ["--expect-unordered", r"^virtio-blk0: ready \(.*, features 0x1[01][0-9a-f]{7},"]
    if args.odd_4k:
        expect += ["--expect-unordered",
                   rf"^virtio-blk2: capacity {disks[2].sectors} sectors is not a whole number "
                   r"of 4096-byte blocks; disk not used$"]

    # the caller's lines first: in ktest mode they come before the runner's closing line
    for rx in args.expect:
        expect += ["--expect", rx]
    for rx in args.reject:
        expect += ["--reject", rx]
    if args.shell is not None:
        cmdline.append(f"cmd='{args.shell}; poweroff'")
        expect += ["--exit", "poweroff"]
    else:
        cmdline.append(f"ktest={args.ktest}")
        expect += ["--ktest-complete"]
        if args.corrupt is not None:
            expect += ["--expect-unordered",
                       rf"^vblk: vda: sector {args.corrupt}: pattern mismatch",
                       "--expect", KTEST_FAILED_RE, "--exit", "fail"]
        else:
            expect += ["--expect", KTEST_OK_RE, "--exit", "pass"]
        expect += ktest_expectations(args, disks)
    return cmd + ["--cmdline", " ".join(cmdline)] + expect


def ktest_expectations(args, disks):
    """Lines the selected vblk.* tests print, with the sizes and seeds only the host knows."""
    out = []
    names = {"a": "vda", "b": "vdb", "eio": "vdc"}
    for d in disks:
        if d.role not in names:
            continue
        who = rf"{names[d.role]} \({d.serial}\)"
        if ktest_selected(args.ktest, "vblk.disks_found_in_order"):
            out += ["--expect-unordered", rf"^vblk: {who}: {d.sectors} sectors, seed {d.seed:#x}$"]
        if d.role != "eio" and ktest_selected(args.ktest, "vblk.read_all_sectors") \
                and args.corrupt is None:
            out += ["--expect-unordered",
                    rf"^vblk: {who}: verified {d.sectors} of {d.sectors} sectors "
                    rf"\(seed {d.seed:#x}\)$"]
        if d.rewrite:
            lo, count = d.rewrite
            out += ["--expect-unordered",
                    rf"^vblk: {who}: wrote sectors {lo}\.\.{lo + count - 1} with seed "
                    rf"{d.seed ^ MASK64:#x}, flushed, read back$"]
        if d.role == "eio" and ktest_selected(args.ktest, "vblk.device_error"):
            out += ["--expect-unordered", rf"^vblk: {who}: sector {EIO_LBA} fails with EIO"]
    return out


def compare_images(disks, workdir):
    """cmp each image with what it must be now; prints the verdicts; True if all match."""
    ok = True
    for d in disks:
        want = os.path.join(workdir, f"expected-{d.role}.img")
        d.write_image(want, rewritten=True)
        res = subprocess.run(["cmp", "--", want, d.path], capture_output=True, text=True)
        what = (f"sectors {d.rewrite[0]}..{sum(d.rewrite) - 1} rewritten, the rest unchanged"
                if d.rewrite else "unchanged")
        if res.returncode == 0:
            print(f"blk_integration: cmp {d.serial}: {what}: identical ({d.sectors} sectors)")
            continue
        ok = False
        print(f"blk_integration: cmp {d.serial}: expected {what}, but: "
              f"{(res.stdout + res.stderr).strip()}")
        bad = differing_sectors(want, d.path)
        shown = ", ".join(str(s) for s in bad[:16]) + (" ..." if len(bad) > 16 else "")
        print(f"blk_integration:   {len(bad)} sectors differ: {shown}")
    return ok


def differing_sectors(a, b):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        x, y = fa.read(), fb.read()
    n = max(len(x), len(y))
    return [s for s in range((n + SECTOR - 1) // SECTOR)
            if x[s * SECTOR:(s + 1) * SECTOR] != y[s * SECTOR:(s + 1) * SECTOR]]


def host_read_speed(path, rng):
    """(MB/s of 64 KiB sequential preads, IOPS of 4 KiB random preads), page cache warm."""
    size = os.path.getsize(path)
    fd = os.open(path, os.O_RDONLY)
    try:
        for off in range(0, size, 64 * 1024):      # warm the page cache
            os.pread(fd, 64 * 1024, off)
        best = None
        for _ in range(3):
            t = time.perf_counter()
            for off in range(0, size, 64 * 1024):
                os.pread(fd, 64 * 1024, off)
            dt = time.perf_counter() - t
            best = dt if best is None else min(best, dt)
        offsets = [rng.randrange(size // 4096) * 4096 for _ in range(50000)]
        t = time.perf_counter()
        for off in offsets:
            os.pread(fd, 4096, off)
        rand_dt = time.perf_counter() - t
    finally:
        os.close(fd)
    return size / best / 1e6, len(offsets) / rand_dt


def report_bench(log, image, rng):
    figures = {}
    with open(log, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = BENCH_RE.search(line)
            if m:
                figures[m.group(1)] = (float(m.group(2)), int(m.group(3)))
    if not figures:
        print("blk_integration: no 'bench: vblk' figures in the log")
        return False
    host_mbps, host_iops = host_read_speed(image, rng)
    print(f"blk_integration: host, same image file ({os.path.getsize(image) // MIB} MiB, page "
          f"cache warm, Python os.pread): seq read 64 KiB {host_mbps:.1f} MB/s, "
          f"random read 4 KiB {host_iops:.0f} IOPS")
    for what, (mbps, iops) in figures.items():
        if "random" in what:
            ratio = f"{iops / host_iops:.4f} of the host's random-read IOPS"
        elif "read" in what:
            ratio = f"{mbps / host_mbps:.4f} of the host's sequential read"
        else:
            ratio = f"{mbps / host_mbps:.4f} of the host's sequential read (a write: for scale)"
        print(f"blk_integration: guest {what}: {mbps:.1f} MB/s, {iops} IOPS = {ratio}")
    return True


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="blk_integration.py",
        description="Test Basalt's VirtIO block and entropy drivers on disk images built here.",
        epilog="Exit status: 0 pass, 1 fail, 2 usage or setup error.")
    p.add_argument("--elf", required=True, help="kernel ELF")
    p.add_argument("--firmware", choices=["bios", "uefi"], default="bios")
    p.add_argument("--machine", choices=["pc", "q35"], default="pc")
    p.add_argument("--smp", type=int, default=1)
    p.add_argument("--mem", default="128M")
    p.add_argument("--intx", action="store_true",
                   help="vectors=0 on every VirtIO device: no MSI-X, the kernel must use INTx")
    p.add_argument("--noeventidx", action="store_true",
                   help="boot with virtio.noeventidx (ring flags instead of EVENT_IDX)")
    p.add_argument("--cmdline", action="append", default=[], metavar="WORD",
                   help="extra kernel command-line word (repeatable)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--ktest", default=None, metavar="GLOB",
                      help="ktests to run (default vblk.*, with --bench bench.vblk*)")
    mode.add_argument("--shell", default=None, metavar="CMDS",
                      help="run these shell commands (then poweroff) instead of ktests")
    p.add_argument("--odd-4k", action="store_true",
                   help="also attach an odd-sized disk with 4096-byte logical blocks, which "
                        "the kernel must refuse (virtio-blk2)")
    p.add_argument("--corrupt", type=int, default=None, metavar="LBA",
                   help="self-test: flip a byte of disk a's sector LBA after building it; "
                        "passes only if the kernel reports that sector and the ktests fail")
    p.add_argument("--bench", action="store_true",
                   help="one disk vblk-bench for the bench.vblk_* ktests; print the figures "
                        "beside the host's read speed of the same image")
    p.add_argument("--bench-mib", type=int, default=64, metavar="N",
                   help="size of the bench disk (default 64)")
    p.add_argument("--seed", type=int, default=None,
                   help="seed of the disks' seeds (default: random; printed)")
    p.add_argument("--expect", action="append", default=[], metavar="REGEX",
                   help="passed to basalt_qemu.py --expect, before the ktest runner's closing "
                        "line (repeatable, in order)")
    p.add_argument("--reject", action="append", default=[], metavar="REGEX",
                   help="passed to basalt_qemu.py --reject (repeatable)")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds (default 120)")
    p.add_argument("--log", default=None, help="serial log (default: in the work directory)")
    p.add_argument("--keep", action="store_true", help="keep the work directory (images, log)")
    args = p.parse_args(argv)
    if args.ktest is None and args.shell is None:
        args.ktest = "bench.vblk*" if args.bench else "vblk.*"
    if args.bench and (args.shell is not None or args.odd_4k or args.corrupt is not None):
        p.error("--bench runs only the bench disk: not with --shell, --odd-4k or --corrupt")
    if args.corrupt is not None and not (args.shell is None and 0 <= args.corrupt < 8192):
        p.error("--corrupt takes a sector of disk a (0..8191) and runs ktests")
    if args.shell is not None and ("'" in args.shell):
        p.error("--shell commands go inside cmd='...': no single quotes")
    if args.bench_mib < 1 or args.smp < 1:
        p.error("--bench-mib and --smp must be at least 1")
    return args


def main(argv):
    args = parse_args(argv)
    if not os.path.isfile(args.elf):
        print(f"blk_integration: error: --elf {args.elf} does not exist", file=sys.stderr)
        return 2
    if not shutil.which("cmp"):
        print("blk_integration: error: cmp not found (Debian package diffutils)", file=sys.stderr)
        return 2
    seed = args.seed if args.seed is not None else random.SystemRandom().getrandbits(32)
    rng = random.Random(seed)
    workdir = tempfile.mkdtemp(prefix="basalt-blk-")
    log = os.path.abspath(args.log) if args.log else os.path.join(workdir, "serial.log")
    passed = False
    try:
        disks = plan_disks(args, workdir, rng)
        if args.corrupt is not None:
            disks[0].corrupt = args.corrupt
        for d in disks:
            d.write_image(d.path, rewritten=False)
        print(f"blk_integration: --seed {seed}: " + ", ".join(
            f"{d.serial} {d.sectors} sectors seed {d.seed:#x}" for d in disks), flush=True)
        cmd = driver_command(args, disks, workdir, log)
        rc = subprocess.run(cmd, check=False).returncode
        if rc == 2:
            return 2
        passed = rc == 0
        if args.bench:
            passed = report_bench(log, disks[0].path, rng) and passed
        else:
            passed = compare_images(disks, workdir) and passed
        print("blk_integration: " + ("PASS" if passed else f"FAIL (serial log {log})"))
        return 0 if passed else 1
    finally:
        if args.keep or not passed:
            print(f"blk_integration: kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
