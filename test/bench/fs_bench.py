#!/usr/bin/env python3
"""test/bench/fs_bench.py - file-system benchmarks, Basalt against Linux's ext2
in the same QEMU (docs/benchmarks.md, "File systems (issue 12)").

One command produces both columns. Each side gets a fresh 256 MiB ext2 image
(host `mke2fs -t ext2 -b 4096`) attached as a virtio-blk disk with serial
fs-bench, in the same QEMU machine (TCG, -machine pc, -cpu qemu64, the same
-smp and -m), and runs the same five measurements, printing
    bench: fs.<name>: <figure> <unit> (<details>)
  fs.write_fsync    64 MiB written in 64 KiB writes, then fsync   (MB/s)
  fs.read_cached    that file read again, from the cache           (MB/s)
  fs.read_uncached  read after an umount + mount                   (MB/s)
  fs.create_unlink  10,000 files created then unlinked             (us/file)
  fs.lookup_5deep   stat() of <mnt>/d1/d2/d3/d4/f5, cached         (us/op)

Basalt: the bench.fs_* ktests (src/fs/tests/fs_bench.c), booted through
test/qemu/basalt_qemu.py with `ktest=bench.fs_*`.

Linux: Debian 12's kernel (linux-image-amd64, 6.1), fetched as data with
`apt-get download` and unpacked with `dpkg-deb -x` into the cache directory
(in the build tree, never committed; reused by later runs), booted with
-kernel/-initrd. The initramfs (cpio newc, written here) holds
user/bench/fsbench.c built with `musl-gcc -static` as /init, and the modules
Debian builds as modules that the way to an ext2 disk over virtio needs
(virtio_pci, virtio_blk, ext4 which serves ext2, and what they depend on, in
dependency order read from each module's .modinfo). /init loads them with
finit_module, mounts /dev/vda on /mnt, measures, and powers off.

After each run the image is checked with `e2fsck -fn`.

Usage:
  test/bench/fs_bench.py --elf build/release/src/basalt.elf [--runs 3]
  test/bench/fs_bench.py --linux-only          # no Basalt kernel needed
Exit status: 0 when every selected run produced all five figures and a clean
image, 1 otherwise, 2 on a setup error. Python standard library only.
"""
import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
FSBENCH_SRC = os.path.join(REPO, "user", "bench", "fsbench.c")
BASALT_QEMU = os.path.join(REPO, "test", "qemu", "basalt_qemu.py")

IMAGE_MIB = 256
SERIAL = "fs-bench"
# What /init needs to reach an ext2 disk over virtio: the drivers and the file
# system, plus crc32c_generic (ext4's checksum driver: softdep "pre: crc32c";
# crc32c-intel needs SSE4.2, which -cpu qemu64 lacks). Their "depends=" pull in
# the rest (virtio, virtio_ring, jbd2, mbcache, crc16, ...).
LINUX_MODULES = ["crc32c_generic", "virtio_pci", "virtio_blk", "ext4"]
LINUX_APPEND = "console=ttyS0 panic=-1 loglevel=4"

MEASURES = [  # name, unit, what (for the table)
    ("write_fsync", "MB/s", "sequential write + fsync, 64 MiB"),
    ("read_cached", "MB/s", "cached read, 64 MiB"),
    ("read_uncached", "MB/s", "uncached read after umount + mount, 64 MiB"),
    ("create_unlink", "us/op", "create + unlink, 10,000 files (per file)"),
    ("lookup_5deep", "us/op", "path lookup, 5 deep, cached (stat)"),
]
BENCH_RE = re.compile(r"bench: fs\.([a-z0-9_]+): ([0-9.]+) (MB/s|us/op)")
KTEST_OK_RE = r"^[0-9]+ passed, 0 failed, [0-9]+ skipped$"


class SetupError(Exception):
    pass


def run(cmd, **kw):
    """Runs cmd, raising SetupError with its output when it fails."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    if p.returncode != 0:
        raise SetupError(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout.strip()}")
    return p.stdout


# ---- the Linux kernel, as data --------------------------------------------------

def linux_kernel(cache):
    """Returns (vmlinuz, modules dir, version): downloaded and unpacked once into cache."""
    root = os.path.join(cache, "linux-root")
    stamp = os.path.join(root, ".unpacked")
    if not os.path.exists(stamp):
        for tool in ("apt-get", "dpkg-deb"):
            if not shutil.which(tool):
                raise SetupError(f"{tool} not found: the Linux side needs Debian's package tools")
        debs = os.path.join(cache, "debs")
        shutil.rmtree(debs, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)
        os.makedirs(debs)
        print("fs_bench: fetching Debian's linux-image-amd64 (once; cached in "
              f"{cache})", flush=True)
        try:
            run(["apt-get", "download", "linux-image-amd64"], cwd=debs)
        except SetupError as e:
            raise SetupError(f"{e}\n(no package lists? run `apt-get update` once)") from e
        meta = [f for f in os.listdir(debs) if f.startswith("linux-image-amd64_")][0]
        depends = run(["dpkg-deb", "-f", os.path.join(debs, meta), "Depends"]).strip()
        m = re.match(r"(linux-image-[0-9][^ ,]*-amd64)", depends)
        if not m:
            raise SetupError(f"linux-image-amd64 depends on {depends!r}: no kernel image package")
        run(["apt-get", "download", m.group(1)], cwd=debs)
        image = [f for f in os.listdir(debs) if f.startswith(m.group(1) + "_")][0]
        os.makedirs(root)
        run(["dpkg-deb", "-x", os.path.join(debs, image), root])
        with open(stamp, "w", encoding="ascii") as f:
            f.write(image + "\n")
        shutil.rmtree(debs, ignore_errors=True)
    boot = os.path.join(root, "boot")
    kernels = sorted(f for f in os.listdir(boot) if f.startswith("vmlinuz-"))
    if not kernels:
        raise SetupError(f"no vmlinuz in {boot}")
    version = kernels[-1][len("vmlinuz-"):]
    moddir = os.path.join(root, "lib", "modules", version)
    return os.path.join(boot, kernels[-1]), moddir, version


def modinfo(path):
    """The key=value strings of an ELF64 module's .modinfo section."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise SetupError(f"{path}: not an ELF64 module (compressed modules are not handled)")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)

    def section(i):
        name, _type, _flags, _addr, off, size = struct.unpack_from(
            "<IIQQQQ", data, shoff + i * shentsize)
        return name, off, size

    _, stroff, _ = section(shstrndx)
    for i in range(shnum):
        name, off, size = section(i)
        end = data.index(b"\0", stroff + name)
        if data[stroff + name:end] == b".modinfo":
            info = {}
            for item in data[off:off + size].split(b"\0"):
                if b"=" in item:
                    k, v = item.decode("ascii", "replace").split("=", 1)
                    info.setdefault(k, []).append(v)
            return info
    return {}


def module_order(moddir, wanted):
    """Paths of the wanted modules and their dependencies, dependencies first."""
    paths = {}
    for dirpath, _dirs, files in os.walk(os.path.join(moddir, "kernel")):
        for f in files:
            if f.endswith(".ko"):
                paths[f[:-3].replace("-", "_")] = os.path.join(dirpath, f)
    order, state = [], {}

    def visit(name):
        name = name.replace("-", "_")
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            raise SetupError(f"module dependency cycle through {name}")
        if name not in paths:
            raise SetupError(f"module {name} not found under {moddir} (built in?)")
        state[name] = "visiting"
        for dep in ",".join(modinfo(paths[name]).get("depends", [""])).split(","):
            if dep:
                visit(dep)
        state[name] = "done"
        order.append(paths[name])

    for w in wanted:
        visit(w)
    return order


# ---- the initramfs ------------------------------------------------------------------

def cpio_newc(entries):
    """A newc archive of entries (name, mode, data bytes or None, rdev (major, minor))."""
    out = bytearray()
    ino = 1

    def put(name, mode, data=b"", rdev=(0, 0), nlink=1):
        nonlocal ino
        name_b = name.encode() + b"\0"
        hdr = "070701" + "".join(f"{v:08x}" for v in (
            ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1], len(name_b), 0))
        out.extend(hdr.encode() + name_b)
        out.extend(b"\0" * (-len(out) % 4))
        out.extend(data)
        out.extend(b"\0" * (-len(out) % 4))
        ino += 1

    for name, mode, data, rdev in entries:
        put(name, mode, data or b"", rdev, 2 if mode & 0o170000 == 0o040000 else 1)
    put("TRAILER!!!", 0, nlink=1)
    out.extend(b"\0" * (-len(out) % 512))
    return bytes(out)


def build_fsbench(cache):
    exe = os.path.join(cache, "fsbench")
    if os.path.exists(exe) and os.path.getmtime(exe) >= os.path.getmtime(FSBENCH_SRC):
        return exe
    if not shutil.which("musl-gcc"):
        raise SetupError("musl-gcc not found: install the Debian package 'musl-tools' (scripts/deps)")
    run(["musl-gcc", "-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o", exe, FSBENCH_SRC])
    return exe


def build_initramfs(cache, moddir):
    exe = build_fsbench(cache)
    modules = module_order(moddir, LINUX_MODULES)
    entries = [("dev", 0o040755, None, (0, 0)),
               ("dev/console", 0o020600, None, (5, 1)),
               ("proc", 0o040755, None, (0, 0)),
               ("mnt", 0o040755, None, (0, 0)),
               ("lib", 0o040755, None, (0, 0)),
               ("lib/modules", 0o040755, None, (0, 0))]
    order = []
    for path in modules:
        name = "lib/modules/" + os.path.basename(path)
        with open(path, "rb") as f:
            entries.append((name, 0o100644, f.read(), (0, 0)))
        order.append("/" + name)
    entries.append(("lib/modules/load.order", 0o100644, ("\n".join(order) + "\n").encode(), (0, 0)))
    with open(exe, "rb") as f:
        entries.append(("init", 0o100755, f.read(), (0, 0)))
    initrd = os.path.join(cache, "fsbench-initrd.cpio")
    with open(initrd, "wb") as f:
        f.write(cpio_newc(entries))
    return initrd, [os.path.basename(p)[:-3] for p in modules]


# ---- runs -----------------------------------------------------------------------------

def make_image(path):
    if os.path.exists(path):
        os.unlink(path)
    with open(path, "wb") as f:
        f.truncate(IMAGE_MIB << 20)
    run(["mke2fs", "-q", "-F", "-t", "ext2", "-b", "4096", "-L", "fsbench", path])


def check_image(path):
    p = subprocess.run(["e2fsck", "-fn", path], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        print(f"fs_bench: e2fsck -fn {path} found problems ({p.returncode}):\n{p.stdout}")
        return False
    return True


def parse(lines):
    figs = {}
    for line in lines:
        m = BENCH_RE.search(line)
        if m:
            figs[m.group(1)] = float(m.group(2))
    return figs


def run_linux(args, vmlinuz, initrd, workdir, n):
    image = os.path.join(workdir, f"linux-{n}.img")
    log = os.path.join(workdir, f"linux-{n}.log")
    make_image(image)
    # the machine of test/qemu/basalt_qemu.py's qemu_command, booted with -kernel
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-machine", "pc", "-cpu", "qemu64",
           "-smp", str(args.smp), "-m", args.mem, "-no-reboot", "-nic", "none",
           "-display", "none", "-serial", "stdio", "-monitor", "none",
           "-kernel", vmlinuz, "-initrd", initrd, "-append", LINUX_APPEND,
           "-drive", f"file={image.replace(',', ',,')},if=none,id=disk0,format=raw",
           "-device", f"virtio-blk-pci,drive=disk0,serial={SERIAL}"]
    t = time.monotonic()
    with open(log, "w", encoding="utf-8", errors="replace") as f:
        try:
            subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, timeout=args.timeout, check=False)
        except subprocess.TimeoutExpired:
            print(f"fs_bench: linux run {n}: timed out after {args.timeout} s (log {log})")
    with open(log, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    ok = any(re.search(r"fsbench: done, 0 errors", l) for l in lines)
    if not ok:
        print(f"fs_bench: linux run {n}: fsbench did not finish cleanly; log {log}:")
        print("\n".join(lines[-25:]))
    ok = check_image(image) and ok
    print(f"fs_bench: linux run {n}: {time.monotonic() - t:.1f} s", flush=True)
    return parse(lines), ok


def run_basalt(args, workdir, n):
    image = os.path.join(workdir, f"basalt-{n}.img")
    log = os.path.join(workdir, f"basalt-{n}.log")
    make_image(image)
    cmd = [sys.executable, BASALT_QEMU, "--elf", args.elf, "--smp", str(args.smp),
           "--mem", args.mem, "--timeout", str(args.timeout), "--log", log,
           "--disk", image, f"serial={SERIAL}",
           "--cmdline", "ktest=bench.fs_*", "--ktest-complete",
           "--expect", KTEST_OK_RE, "--exit", "pass",
           "--reject", r"^ktest: SKIP bench\.fs_"]
    t = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    ok = p.returncode == 0
    if not ok:
        print(f"fs_bench: basalt run {n} failed ({p.returncode}); log {log}:\n{p.stdout.strip()}")
    lines = []
    if os.path.exists(log):
        with open(log, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    ok = check_image(image) and ok
    print(f"fs_bench: basalt run {n}: {time.monotonic() - t:.1f} s", flush=True)
    return parse(lines), ok


def summary(results):
    """{name: (best, min, max, count)} over runs; best is the fastest run's figure
    (the highest MB/s, the lowest us/op): on a shared host the other runs lost
    time to other work, not to the kernel under test."""
    out = {}
    for name, unit, _what in MEASURES:
        vals = [r[name] for r in results if name in r]
        if vals:
            best = max(vals) if unit == "MB/s" else min(vals)
            out[name] = (best, min(vals), max(vals), len(vals))
    return out


def fmt(s, unit):
    if not s:
        return "-"
    best, lo, hi, cnt = s
    nd = 1 if unit == "MB/s" else 2
    text = f"{best:,.{nd}f} {unit}"
    if cnt > 1:
        text += f" ({lo:,.{nd}f}-{hi:,.{nd}f})"
    return text


def ratio(b, l, unit):
    """Basalt's speed relative to Linux's (best figures): above 1, Basalt is faster."""
    if not b or not l or not b[0] or not l[0]:
        return "-"
    r = b[0] / l[0] if unit == "MB/s" else l[0] / b[0]
    return f"{r:.2f}"


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--elf", help="Basalt kernel ELF (default build/release/src/basalt.elf)")
    side = p.add_mutually_exclusive_group()
    side.add_argument("--linux-only", action="store_true", help="only the Linux column")
    side.add_argument("--basalt-only", action="store_true", help="only the Basalt column")
    p.add_argument("--runs", type=int, default=1, help="runs of each side (default 1)")
    p.add_argument("--smp", type=int, default=2, help="vCPUs of both machines (default 2)")
    p.add_argument("--mem", default="256M", help="memory of both machines (default 256M)")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds per run (default 600)")
    p.add_argument("--cache-dir", help="where the Linux kernel, fsbench and the initramfs are "
                   "kept (default: build/bench-fs in the repository)")
    p.add_argument("--work-dir", help="images and serial logs (default: a new temporary folder)")
    args = p.parse_args(argv)
    if args.runs < 1 or args.smp < 1:
        p.error("--runs and --smp must be at least 1")
    if not args.elf:
        args.elf = os.path.join(REPO, "build", "release", "src", "basalt.elf")
    cache = os.path.abspath(args.cache_dir or os.path.join(REPO, "build", "bench-fs"))
    os.makedirs(cache, exist_ok=True)
    workdir = os.path.abspath(args.work_dir or tempfile.mkdtemp(prefix="fs_bench."))
    os.makedirs(workdir, exist_ok=True)

    try:
        for tool in ("qemu-system-x86_64", "mke2fs", "e2fsck"):
            if not shutil.which(tool):
                raise SetupError(f"{tool} not found (scripts/deps installs it)")
        if not args.linux_only and not os.path.exists(args.elf):
            raise SetupError(f"{args.elf} does not exist: build it (cmake --build --preset release)")
        if not args.basalt_only:
            vmlinuz, moddir, version = linux_kernel(cache)
            initrd, mods = build_initramfs(cache, moddir)
            print(f"fs_bench: Linux {version}, modules loaded by /init: {' '.join(mods)}")
    except SetupError as e:
        print(f"fs_bench: {e}", file=sys.stderr)
        return 2

    print(f"fs_bench: -smp {args.smp} -m {args.mem}, {args.runs} run(s) each; "
          f"images and logs in {workdir}", flush=True)
    ok = True
    linux, basalt = [], []
    for n in range(1, args.runs + 1):
        if not args.basalt_only:
            figs, good = run_linux(args, vmlinuz, initrd, workdir, n)
            linux.append(figs)
            ok = ok and good and len(figs) == len(MEASURES)
        if not args.linux_only:
            figs, good = run_basalt(args, workdir, n)
            basalt.append(figs)
            ok = ok and good and len(figs) == len(MEASURES)
    sb, sl = summary(basalt), summary(linux)
    print()
    print("| measurement | Basalt | Linux 6.1 ext2 | ratio |")
    print("|---|---|---|---|")
    for name, unit, what in MEASURES:
        print(f"| {what} | {fmt(sb.get(name), unit)} | {fmt(sl.get(name), unit)} | "
              f"{ratio(sb.get(name), sl.get(name), unit)} |")
    print()
    print("(the fastest run's figure, the range of all runs in brackets; ratio: Basalt's "
          "speed over Linux's, above 1 is faster)")
    print("fs_bench: " + ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
