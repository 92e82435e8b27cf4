#!/usr/bin/env python3
"""test/qemu/basalt_qemu.py - the one QEMU test driver for Basalt.

Boots a kernel ELF (wrapped into a cached throwaway GRUB ISO) or a ready ISO
under QEMU (TCG by default, SeaBIOS or OVMF), reads the serial console line by
line as it arrives, and judges the run: expected lines in order, rejected
lines, and the kernel's exit status through isa-debug-exit (port 0xf4: the
kernel writes 0x10 for pass, 0x11 for fail; QEMU then exits with (v<<1)|1,
i.e. 33 or 35). Used by ctest (test/CMakeLists.txt) and, in --interactive
mode, by scripts/run. Python standard library only.

Exit status: 0 pass, 1 fail, 2 usage or setup error.

Judging: serial output is split into lines at CR or LF, terminal escape
sequences are removed, and a leading printk timestamp "[    0.012345] " is
dropped before matching (the log keeps it). --expect regexes must match
lines in the given order, each on a later line than the one before;
--expect-unordered ones anywhere. A line matching --reject (default
'^PANIC:') fails the run (QEMU is stopped a second later). --until stops QEMU
at the first matching line; --exit pass|fail requires the kernel to exit
through isa-debug-exit with that status; a run with neither ends at
--timeout, or fails if QEMU ends other than through isa-debug-exit (e.g. a
triple fault, which -no-reboot turns into QEMU exiting with status 0).
--ktest-complete checks the in-kernel test runner's own accounting: it
announced N tests ("ktest: running N of M tests"), printed N PASS/FAIL/SKIP
lines and closed with "P passed, F failed, S skipped", P + F + S == N >= 1,
each count equal to its lines (a skipped test counted as passed fails).

QEMU monitor (a unix socket; the driver makes one in its temporary
directory when it needs it): --monitor-command-after REGEX CMD runs CMD
(e.g. nmi) once a line matches REGEX; --screendump PATH saves the screen
when the run stops with QEMU still running (--until or --timeout), and
--expect-screen-ink FRACTION requires that much of the screendump's pixel
rows to be drawn on (not the background colour), i.e. that a screen
console drew the log. --expect-screen-text REGEX reads the screendump back
as text with the kernel's font (--screen-font, a PSF file, as the build's
BASALT_FONT; cells from the top left, two colours each) and requires
REGEX to match it (re.MULTILINE, one line per text row, trailing blanks
dropped; a cell that is no glyph of the font reads as U+FFFD); the text
goes to the log as '# screen:' lines.

--initrd FILE (with --elf) puts FILE on the ISO as /boot/initrd and loads
it as a module next to the kernel (module2 --nounzip, or module with
--loader multiboot; --nounzip so that GRUB hands over the gzip file as it
is rather than decompressing it): the initramfs the kernel unpacks. The
template's @BASALT_INITRD@ line becomes that command, or nothing without
--initrd.

--gfxpayload WxHxD (with --elf, UEFI) asks GRUB for that framebuffer mode
(e.g. 1024x768x32; the default under OVMF is 800x600x24). --no-video
(with --elf) drops the template's `insmod` of video drivers, as a user's own
GRUB entry or a headless setup may: under UEFI GRUB then hands the kernel
no framebuffer at all (BIOS keeps its VGA text mode).

Serial input: --send-after REGEX TEXT writes TEXT to the guest's serial
port (QEMU's stdin) once a line matches REGEX. The sends happen in the given
order, each after a later line than the one that triggered the send before
it; REGEX is also tried on the incomplete last line, so a prompt that waits
without a newline ('^basalt> $') can trigger it. TEXT takes the escapes \\n
\\r \\t \\e (ESC) \\xHH and \\\\, e.g. 'echo hi\\r' or an up arrow '\\e[A'.

--exit poweroff|reset requires QEMU to end by itself with status 0 after a
QMP SHUTDOWN event saying why: "guest-shutdown" (ACPI power-off) or
"guest-reset" (any reset, -no-reboot turning it into an exit; a triple
fault is a reset too, so tests of reboot paths also reject their fallbacks).

Examples:
  basalt_qemu.py --elf build/debug/src/basalt.elf --cmdline ktest \\
      --expect '^[0-9]+ passed, 0 failed, [0-9]+ skipped$' --exit pass
  basalt_qemu.py --elf basalt.elf --firmware uefi \\
      --until '^basalt: boot complete' --report-boot-time '^Basalt \\S+ booting'
  basalt_qemu.py --iso build/debug/basalt.iso --interactive
  basalt_qemu.py --elf basalt.elf --allow-panic \\
      --monitor-command-after '^basalt: boot complete' nmi \\
      --expect '^EXCEPTION: NMI' --until '^basalt: system halted'

Command-line transport (measured with GRUB 2.06-13 on Debian 12): GRUB's
multiboot2 loader builds the kernel command line from the words after the
kernel path, joined by single spaces; it puts a backslash before every
backslash, single quote and double quote, and wraps any word that contains
a space in double quotes. This driver passes --cmdline to GRUB split at each
single space (every piece single-quoted in grub.cfg, so GRUB expands nothing),
so the kernel receives the command line byte for byte, except that each of
\\ ' " arrives as \\\\ \\' \\" respectively. E.g. cmd='mem; test x' arrives as
cmd=\\'mem; test x\\'. Dropping each backslash and keeping the character after
it restores the exact string.
"""

import argparse
import fcntl
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

SCRIPT_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(SCRIPT_DIR))
DEFAULT_TEMPLATE = os.path.join(REPO_ROOT, "iso", "grub.cfg.in")
PSF2C = os.path.join(REPO_ROOT, "cmake", "psf2c.py")      # the font reader the build uses
DEFAULT_FONT = "/usr/share/consolefonts/Lat15-VGA16.psf.gz"   # BASALT_FONT's default
GFXPAYLOAD_RE = re.compile(r"^[0-9]+x[0-9]+(x[0-9]+)?$")
# a grub.cfg line loading a video driver (dropped by --no-video)
VIDEO_INSMOD_RE = re.compile(r"^\s*insmod\s+(all_video|efi_gop|efi_uga|vbe|vga|video_\w+)\s*$")

QEMU = "qemu-system-x86_64"
OVMF_CANDIDATES = [
    ("/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd"),
    ("/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd"),
    ("/usr/share/ovmf/OVMF.fd", None),
]

EXIT_PORT = 0xF4
EXIT_PASS_VALUE = 0x10
EXIT_FAIL_VALUE = 0x11
QEMU_RC_PASS = (EXIT_PASS_VALUE << 1) | 1  # 33
QEMU_RC_FAIL = (EXIT_FAIL_VALUE << 1) | 1  # 35

DEFAULT_REJECT = r"^PANIC:"
# The ktest runner's first and last lines (src/core/ktest.c), for --ktest-complete.
KTEST_RUNNING_RE = re.compile(r"^ktest: running ([0-9]+) of ([0-9]+) tests")
KTEST_CLOSING_RE = re.compile(r"^([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped$")
TAIL_LINES = 40
REJECT_GRACE_S = 1.0      # keep reading this long after a rejected line
CACHE_KEEP = 16           # ISOs (~20 MB each) kept in the cache ...
CACHE_MIN_AGE_S = 600     # ... unless younger than this
CACHE_FORMAT = b"basalt-iso-v3"  # bump when the ISO layout or quoting changes

# CSI / OSC / two-character escape sequences from GRUB and OVMF consoles.
ANSI_RE = re.compile(rb"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")


# printk's timestamp prefix, "[    0.011502] ": dropped before matching (the
# log keeps it), so regexes anchor on the message: '^boot: loader'.
PRINTK_TS_RE = re.compile(r"^\[\s*[0-9]+\.[0-9]+\] ")


class SetupError(Exception):
    """Something outside the test is missing or broken: exit status 2."""


def log_verbose(args, msg):
    if args.verbose:
        print(f"basalt_qemu: {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- grub.cfg

def grub_quote_word(word):
    """Quote one word for a GRUB script: single quotes protect everything;
    a single quote itself is written as '\\'' (close, escaped quote, open)."""
    return "'" + word.replace("'", "'\\''") + "'"


def grub_quote_cmdline(cmdline):
    """Turn a kernel command line into GRUB loader arguments that GRUB joins
    back into the same string (see the module docstring)."""
    if cmdline == "":
        return ""
    return " ".join(grub_quote_word(w) for w in cmdline.split(" "))


def check_cmdline(cmdline):
    bad = [c for c in cmdline if ord(c) < 0x20 or ord(c) == 0x7F]
    if bad:
        raise SetupError("--cmdline must not contain control characters "
                         f"(found {bad[0]!r}): GRUB cannot pass them")


def render_grub_cfg(template_text, loader, cmdline, gfxpayload=None, no_video=False,
                    initrd=False):
    for placeholder in ("@BASALT_LOADER@", "@BASALT_CMDLINE@"):
        if placeholder not in template_text:
            raise SetupError(f"grub.cfg template lacks {placeholder}")
    if initrd and "@BASALT_INITRD@" not in template_text:
        raise SetupError("--initrd: the grub.cfg template lacks @BASALT_INITRD@")
    module = {"multiboot2": "module2", "multiboot": "module"}[loader]
    # --nounzip: GRUB would otherwise gunzip the module itself (and refuse a
    # damaged one); the kernel is to see the file as it is
    template_text = template_text.replace(
        "@BASALT_INITRD@", f"{module} --nounzip /boot/initrd" if initrd else "")
    if no_video:
        lines = template_text.split("\n")
        kept = [l for l in lines if not VIDEO_INSMOD_RE.match(l)]
        if len(kept) == len(lines):
            raise SetupError("--no-video: the grub.cfg template loads no video driver to drop")
        template_text = "\n".join(kept)
    if gfxpayload:
        # after the load command, which sets gfxpayload itself (UEFI only:
        # under BIOS the template keeps text mode)
        lines = template_text.split("\n")
        at = next((i for i, l in enumerate(lines) if l.lstrip().startswith("@BASALT_LOADER@")), None)
        if at is None:
            raise SetupError("grub.cfg template has no line starting with @BASALT_LOADER@")
        indent = lines[at][:len(lines[at]) - len(lines[at].lstrip())]
        lines.insert(at + 1, f'{indent}if [ "$grub_platform" = "efi" ]; then '
                             f'set gfxpayload={gfxpayload}; fi')
        template_text = "\n".join(lines)
    return (template_text.replace("@BASALT_LOADER@", loader)
            .replace("@BASALT_CMDLINE@", grub_quote_cmdline(cmdline)))


# ---------------------------------------------------------------- ISO cache

def check_iso_tools():
    missing = []
    if not shutil.which("grub-mkrescue"):
        missing.append("grub-common (grub-mkrescue)")
    if not os.path.isdir("/usr/lib/grub/i386-pc"):
        missing.append("grub-pc-bin (BIOS GRUB modules)")
    if not os.path.isdir("/usr/lib/grub/x86_64-efi"):
        missing.append("grub-efi-amd64-bin (UEFI GRUB modules)")
    if not shutil.which("xorriso"):
        missing.append("xorriso")
    if not shutil.which("mformat"):
        missing.append("mtools (mformat)")
    if missing:
        raise SetupError("cannot build an ISO, missing: " + ", ".join(missing)
                         + " (install them, e.g. with scripts/deps)")


def prune_cache(cache_dir, keep):
    now = time.time()
    entries = []
    for name in os.listdir(cache_dir):
        if name.endswith(".iso"):
            path = os.path.join(cache_dir, name)
            try:
                entries.append((os.stat(path).st_mtime, path))
            except FileNotFoundError:
                pass
    entries.sort(reverse=True)
    for mtime, path in entries[keep:]:
        if now - mtime > CACHE_MIN_AGE_S:
            for p in (path, path[:-4] + ".lock"):
                try:
                    os.unlink(p)
                except FileNotFoundError:
                    pass


def build_iso(args):
    """Return the path of a cached ISO for (elf, loader, cmdline), building it
    if needed. Safe to run in parallel: a per-key lock, build in a private
    temporary directory, atomic rename into place."""
    elf = args.elf
    try:
        with open(elf, "rb") as f:
            elf_bytes = f.read()
    except OSError as e:
        raise SetupError(f"cannot read --elf {elf}: {e.strerror}")
    try:
        with open(args.grub_template, "r", encoding="utf-8") as f:
            template = f.read()
    except OSError as e:
        raise SetupError(f"cannot read grub.cfg template {args.grub_template}: {e.strerror}")
    initrd_bytes = b""
    if args.initrd:
        try:
            with open(args.initrd, "rb") as f:
                initrd_bytes = f.read()
        except OSError as e:
            raise SetupError(f"cannot read --initrd {args.initrd}: {e.strerror}")
    grub_cfg = render_grub_cfg(template, args.loader, args.cmdline, args.gfxpayload,
                               args.no_video, initrd=bool(args.initrd))

    h = hashlib.sha256()
    for part in (CACHE_FORMAT, elf_bytes, grub_cfg.encode("utf-8"), initrd_bytes):
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    key = h.hexdigest()[:24]

    cache_dir = args.cache_dir or os.path.join(os.path.dirname(os.path.abspath(elf)), "iso-cache")
    os.makedirs(cache_dir, exist_ok=True)
    iso = os.path.join(cache_dir, key + ".iso")

    with open(os.path.join(cache_dir, key + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(iso):
            os.utime(iso)  # mark as recently used for pruning
            log_verbose(args, f"ISO cache hit: {iso}")
            return iso
        check_iso_tools()
        t0 = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="build-", dir=cache_dir) as tmp:
            root = os.path.join(tmp, "root")
            os.makedirs(os.path.join(root, "boot", "grub"))
            shutil.copyfile(elf, os.path.join(root, "boot", "basalt.elf"))
            if args.initrd:
                with open(os.path.join(root, "boot", "initrd"), "wb") as f:
                    f.write(initrd_bytes)
            with open(os.path.join(root, "boot", "grub", "grub.cfg"), "w", encoding="utf-8") as f:
                f.write(grub_cfg)
            out = os.path.join(tmp, "out.iso")
            r = subprocess.run(["grub-mkrescue", "-o", out, root],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
            if r.returncode != 0 or not os.path.exists(out):
                raise SetupError("grub-mkrescue failed:\n" + r.stdout.decode(errors="replace"))
            os.replace(out, iso)
        log_verbose(args, f"built {iso} in {time.monotonic() - t0:.2f} s")
    prune_cache(cache_dir, CACHE_KEEP)
    return iso


# ---------------------------------------------------------------- QEMU

def find_ovmf(args):
    if args.ovmf_code:
        if not os.path.exists(args.ovmf_code):
            raise SetupError(f"--ovmf-code {args.ovmf_code} does not exist")
        return args.ovmf_code, args.ovmf_vars
    for code, varss in OVMF_CANDIDATES:
        if os.path.exists(code) and (varss is None or os.path.exists(varss)):
            return code, (args.ovmf_vars or varss)
    raise SetupError("UEFI firmware not found (/usr/share/OVMF/OVMF_CODE.fd): "
                     "install the Debian package 'ovmf' (scripts/deps)")


def qemu_opt(value):
    """Escape a value inside a QEMU option list (a comma is written twice)."""
    return value.replace(",", ",,")


def qemu_command(args, iso, tmpdir):
    qemu = shutil.which(args.qemu)
    if not qemu:
        raise SetupError(f"{args.qemu} not found: install the Debian package "
                         "'qemu-system-x86' (scripts/deps)")
    cmd = [qemu,
           "-accel", "kvm" if args.kvm else "tcg",
           "-machine", args.machine,
           "-cpu", args.cpu,
           "-smp", str(args.smp),
           "-m", args.mem,
           "-no-reboot",
           "-nic", "none"]
    if args.graphics:
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            raise SetupError("--graphics needs a graphical session (DISPLAY is not set)")
        # QEMU's default display (GTK with qemu-system-gui)
    else:
        cmd += ["-display", "none"]
    monitor = monitor_path(args, tmpdir)
    if args.interactive:
        cmd += ["-serial", "mon:stdio"]
        if monitor:
            cmd += ["-monitor", f"unix:{qemu_opt(monitor)},server=on,wait=off"]
    else:
        cmd += ["-serial", "stdio"]
        if monitor:
            cmd += ["-monitor", f"unix:{qemu_opt(monitor)},server=on,wait=off"]
        else:
            cmd += ["-monitor", "none"]
    cmd += ["-device", f"isa-debug-exit,iobase={EXIT_PORT:#x},iosize=0x04"]
    if args.firmware == "uefi":
        code, varss = find_ovmf(args)
        if varss:
            vars_copy = os.path.join(tmpdir, "OVMF_VARS.fd")
            shutil.copyfile(varss, vars_copy)
            cmd += ["-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={qemu_opt(code)}",
                    "-drive", f"if=pflash,format=raw,unit=1,file={qemu_opt(vars_copy)}"]
        else:
            cmd += ["-bios", code]
    cmd += ["-cdrom", iso, "-boot", "d"]
    for i, (disk, dev_opts) in enumerate(args.disk):
        if not os.path.exists(disk):
            raise SetupError(f"--disk {disk} does not exist")
        fmt = "qcow2" if disk.endswith(".qcow2") else "raw"
        cmd += ["-drive", f"file={qemu_opt(disk)},if=none,id=disk{i},format={fmt}",
                "-device", f"virtio-blk-pci,drive=disk{i}" + (f",{dev_opts}" if dev_opts else "")]
    for dev in args.device:
        cmd += ["-device", dev]
    if args.exit in ("poweroff", "reset"):
        # QEMU waits for the driver to connect (QmpWatcher) before it starts
        cmd += ["-qmp", f"unix:{qemu_opt(qmp_socket(tmpdir))},server=on,wait=on"]
    if args.gdb:
        cmd += ["-s", "-S"]
    for raw in args.qemu_arg:
        cmd += [raw]
    return cmd


SEND_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "e": "\x1b", "\\": "\\"}


def decode_send_text(text):
    """TEXT of --send-after with its escapes (\\n \\r \\t \\e \\xHH \\\\) turned
    into bytes; raises ValueError for an unknown or cut escape."""
    out, i = bytearray(), 0
    while i < len(text):
        c = text[i]
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
            continue
        if i + 1 >= len(text):
            raise ValueError("a backslash at the end")
        e = text[i + 1]
        if e in SEND_ESCAPES:
            out += SEND_ESCAPES[e].encode()
            i += 2
        elif e == "x" and re.fullmatch(r"[0-9a-fA-F]{2}", text[i + 2:i + 4]):
            out.append(int(text[i + 2:i + 4], 16))
            i += 4
        else:
            raise ValueError(f"unknown escape \\{e}")
    return bytes(out)


def monitor_path(args, tmpdir):
    """The QEMU monitor's unix socket: --monitor-socket, else one in tmpdir
    when the driver itself needs the monitor, else None (no monitor)."""
    if args.monitor_socket:
        return args.monitor_socket
    if (args.monitor_command_after or args.screendump or args.expect_screen_ink is not None
            or args.expect_screen_text):
        return os.path.join(tmpdir, "monitor.sock")
    return None


class Monitor:
    """A client of QEMU's human monitor on a unix socket: one command at a
    time, each answered up to the next "(qemu) " prompt."""

    PROMPT = b"(qemu) "

    def __init__(self, path, timeout=10.0):
        deadline = time.monotonic() + timeout
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.settimeout(timeout)
                sock.connect(path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                sock.close()
                if time.monotonic() >= deadline:
                    raise OSError(f"cannot connect to the QEMU monitor at {path}")
                time.sleep(0.05)
        self.sock = sock
        self._read_to_prompt()      # the greeting

    def _read_to_prompt(self):
        buf = b""
        while not ANSI_RE.sub(b"", buf).endswith(self.PROMPT):
            chunk = self.sock.recv(65536)
            if not chunk:
                raise OSError("the QEMU monitor closed its socket")
            buf += chunk
        return buf

    def command(self, cmd):
        """Runs cmd; returns the monitor's answer (echo and prompt removed)."""
        self.sock.sendall(cmd.encode("utf-8") + b"\n")
        out = ANSI_RE.sub(b"", self._read_to_prompt()).decode("utf-8", errors="replace")
        out = out[:-len(self.PROMPT)]
        # the monitor echoes the command as it is typed (redrawn after each
        # key) up to the newline; its answer follows
        _, _, answer = out.partition("\n")
        return "\n".join(l.rstrip() for l in re.split(r"\r\n|\r|\n", answer) if l.strip())

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def read_ppm(path):
    """(width, height, pixel bytes) of a binary PPM (P6, maxval < 256)."""
    with open(path, "rb") as f:
        data = f.read()
    fields, pos = [], 0
    while len(fields) < 4:
        while pos < len(data) and data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            while pos < len(data) and data[pos:pos + 1] != b"\n":
                pos += 1
            continue
        start = pos
        while pos < len(data) and not data[pos:pos + 1].isspace():
            pos += 1
        if start == pos:
            raise ValueError("truncated PPM header")
        fields.append(data[start:pos])
    if fields[0] != b"P6" or int(fields[3]) > 255:
        raise ValueError("not a binary 8-bit PPM (P6)")
    w, h = int(fields[1]), int(fields[2])
    pixels = data[pos + 1:pos + 1 + w * h * 3]
    if len(pixels) != w * h * 3:
        raise ValueError("truncated PPM pixel data")
    return w, h, pixels


def screen_ink(path):
    """The fraction of the image's pixel rows that hold at least one pixel
    other than the background (the most common colour)."""
    w, h, px = read_ppm(path)
    if w == 0 or h == 0:
        return 0.0
    counts = {}
    for y in range(0, h, max(1, h // 64)):          # sample rows for the background
        row = px[y * w * 3:(y + 1) * w * 3]
        for x in range(0, w * 3, 3):
            c = row[x:x + 3]
            counts[c] = counts.get(c, 0) + 1
    bg_row = max(counts, key=counts.get) * w
    inked = sum(1 for y in range(h) if px[y * w * 3:(y + 1) * w * 3] != bg_row)
    return inked / h


def load_font_glyphs(path):
    """(width, height, {glyph bitmap: character}) of the PSF font at path, read
    as the build reads it (cmake/psf2c.py): glyph c draws code point c. A
    bitmap is a tuple of pixel lines, each an int with the leftmost pixel in
    the top bit; the lowest code point wins (space before no-break space)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("psf2c", PSF2C)
    psf2c = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(psf2c)
    try:
        font = psf2c.read_font(path)
        glyphs, _ = psf2c.latin1_glyphs(font)
    except psf2c.FontError as e:
        raise ValueError(f"font {path}: {e}")
    shift = font.row_bytes * 8 - font.width
    table = {}
    for cp in list(range(0x20, 0x7F)) + list(range(0xA0, 0x100)):
        g = glyphs[cp]
        bitmap = tuple(int.from_bytes(g[y * font.row_bytes:(y + 1) * font.row_bytes], "big") >> shift
                       for y in range(font.height))
        table.setdefault(bitmap, chr(cp))
    return font.width, font.height, table


def screen_text(path, font_path):
    """The screendump at path read back as text, one string per row of
    character cells (trailing blanks dropped): a cell of one colour is a
    blank, one of two colours the glyph whose set pixels are either colour
    (so any foreground on any background), anything else U+FFFD."""
    fw, fh, table = load_font_glyphs(font_path)
    w, h, px = read_ppm(path)
    rows = []
    for r in range(h // fh):
        cells = [[] for _ in range(w // fw)]
        for y in range(r * fh, (r + 1) * fh):
            line = px[y * w * 3:(y + 1) * w * 3]
            for c, cell in enumerate(cells):
                seg = line[c * fw * 3:(c + 1) * fw * 3]
                cell.append([seg[i:i + 3] for i in range(0, fw * 3, 3)])
        text = []
        for cell in cells:
            colours = {p for line in cell for p in line}
            if len(colours) == 1:
                text.append(" ")
                continue
            ch = "\ufffd"
            if len(colours) == 2:
                for ink in colours:
                    bitmap = tuple(sum(1 << (fw - 1 - x) for x, p in enumerate(line) if p == ink)
                                   for line in cell)
                    if bitmap in table:
                        ch = table[bitmap]
                        break
            text.append(ch)
        rows.append("".join(text).rstrip())
    return rows


def _set_pdeathsig():
    """Child side: die with the driver even if the driver is SIGKILLed."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class SerialReader(threading.Thread):
    """Reads QEMU's stdout (the serial port), splits it into lines (any of
    \\r, \\n), strips terminal escape sequences, and queues (time, line)."""

    def __init__(self, stream, t0, on_line, on_partial=None):
        super().__init__(daemon=True)
        self.stream = stream
        self.t0 = t0
        self.on_line = on_line
        self.on_partial = on_partial   # (t, text) of the incomplete last line

    def run(self):
        buf = b""
        fd = self.stream.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            now = time.monotonic() - self.t0
            if not chunk:
                break
            buf += chunk
            parts = re.split(rb"\r\n|\n\r|\r|\n", buf)
            buf = parts.pop()
            for raw in parts:
                self._emit(now, raw)
            if buf and self.on_partial:
                text = self._clean(buf)
                if text.strip():
                    self.on_partial(now, text)
        if buf:
            self._emit(time.monotonic() - self.t0, buf)
        self.on_line(None, None)

    @staticmethod
    def _clean(raw):
        line = ANSI_RE.sub(b"", raw).decode("utf-8", errors="replace")
        return "".join(c for c in line if c == "\t" or c >= " ")

    def _emit(self, t, raw):
        line = self._clean(raw)
        if line.strip():
            self.on_line(t, line)


def qmp_socket(tmpdir):
    return os.path.join(tmpdir, "qmp.sock")


class QmpWatcher(threading.Thread):
    """Connects to QEMU's QMP socket (QEMU waits for that: wait=on), enters
    command mode and records the reason of the SHUTDOWN event: "guest-shutdown"
    for a power-off, "guest-reset" for a reset under -no-reboot."""

    def __init__(self, path, proc, connect_timeout=10.0):
        super().__init__(daemon=True)
        self.path = path
        self.proc = proc
        self.connect_timeout = connect_timeout
        self.reason = None         # the SHUTDOWN event's reason
        self.error = None

    def run(self):
        deadline = time.monotonic() + self.connect_timeout
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(self.path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                sock.close()
                if self.proc.poll() is not None or time.monotonic() >= deadline:
                    self.error = f"cannot connect to QEMU's QMP socket {self.path}"
                    return
                time.sleep(0.02)
        try:
            stream = sock.makefile("rb")
            sock.sendall(b'{"execute": "qmp_capabilities"}\n')
            for raw in stream:
                msg = json.loads(raw)
                if msg.get("event") == "SHUTDOWN":
                    self.reason = msg.get("data", {}).get("reason", "unknown")
        except (OSError, ValueError) as e:
            if self.reason is None:
                self.error = f"QMP connection failed: {e}"
        finally:
            sock.close()


class Run:
    """One boot: start QEMU, collect lines, stop on --until/exit/timeout."""

    qmp = None                     # QmpWatcher with --exit poweroff|reset

    def __init__(self, args, iso, log):
        self.args = args
        self.iso = iso
        self.log = log
        self.lines = []            # (t, line)
        self.cond = threading.Condition()
        self.eof = False
        self.until_hit = None      # index of the line that matched --until
        self.reject_hit = None     # (index, regex)
        self.timed_out = False
        self.stopped_by_us = False
        self.rc = None
        self.stderr = b""
        self.boot_time = None
        self.monitor_pending = []  # commands whose line has arrived, not yet sent
        self.monitor_fired = set()  # indexes into args.monitor_command_after
        self.monitor_error = None
        self.send_next = 0         # index into args.send_after of the next send
        self.send_min_line = 0     # ... which needs a line at or after this index
        self.send_pending = []     # (line index, text) triggered, not yet written
        self.send_error = None
        self.screen_ink = None     # fraction of pixel rows drawn on (screendump)
        self.screen_rows = None    # the screendump read as text (--expect-screen-text)
        self.screen_error = None

    def _on_line(self, t, line):
        with self.cond:
            if line is None:
                self.eof = True
            else:
                idx = len(self.lines)
                self.log.write(f"[{t:9.4f}] {line}\n")
                self.log.flush()
                if self.args.verbose:
                    try:
                        print(f"[{t:9.4f}] {line}", flush=True)
                    except OSError:  # stdout went away: keep judging
                        self.args.verbose = False
                line = PRINTK_TS_RE.sub("", line, count=1)
                self.lines.append((t, line))
                if self.boot_time is None and self.args.report_boot_time \
                        and self.args.report_boot_time_re.search(line):
                    self.boot_time = t
                if self.reject_hit is None:
                    for rx in self.args.reject_re:
                        if rx.search(line):
                            self.reject_hit = (idx, rx.pattern)
                            break
                if self.until_hit is None and self.args.until_re \
                        and self.args.until_re.search(line):
                    self.until_hit = idx
                for i, (rx, cmd) in enumerate(self.args.monitor_after_re):
                    if i not in self.monitor_fired and rx.search(line):
                        self.monitor_fired.add(i)
                        self.monitor_pending.append((idx, cmd))
                self._check_send(idx, line)
            self.cond.notify_all()

    def _check_send(self, idx, line):
        """Queues the next --send-after text if line (index idx) triggers it."""
        sends = self.args.send_after_re
        if self.send_next < len(sends) and idx >= self.send_min_line:
            rx, text = sends[self.send_next]
            if rx.search(line):
                self.send_pending.append((idx, text))
                self.send_next += 1
                self.send_min_line = idx + 1

    def _on_partial(self, t, text):
        """The incomplete last line so far: it may trigger a --send-after."""
        with self.cond:
            before = len(self.send_pending)
            self._check_send(len(self.lines), PRINTK_TS_RE.sub("", text, count=1))
            if len(self.send_pending) != before:
                self.cond.notify_all()

    def execute(self):
        args = self.args
        with tempfile.TemporaryDirectory(prefix="basalt-qemu-") as tmpdir:
            cmd = qemu_command(args, self.iso, tmpdir)
            self.log.write("# " + shlex.join(cmd) + "\n")
            self.log.flush()
            log_verbose(args, "running: " + shlex.join(cmd))
            t0 = time.monotonic()
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if args.send_after else subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    preexec_fn=_set_pdeathsig)
            _CHILDREN.add(proc)
            if args.exit in ("poweroff", "reset"):
                self.qmp = QmpWatcher(qmp_socket(tmpdir), proc)
                self.qmp.start()
            reader = SerialReader(proc.stdout, t0, self._on_line,
                                  self._on_partial if args.send_after else None)
            reader.start()
            err_chunks = []
            err_thread = threading.Thread(target=lambda: err_chunks.append(proc.stderr.read()),
                                          daemon=True)
            err_thread.start()
            deadline = t0 + args.timeout
            reject_deadline = None
            monitor = None
            try:
                with self.cond:
                    while not self.eof:
                        if self.until_hit is not None:
                            break
                        if self.monitor_pending and self.monitor_error is None:
                            pending, self.monitor_pending = self.monitor_pending, []
                            self.cond.release()     # let serial lines in meanwhile
                            try:
                                monitor = self._monitor_commands(monitor, tmpdir, pending)
                            finally:
                                self.cond.acquire()
                            continue
                        if self.send_pending and self.send_error is None:
                            pending, self.send_pending = self.send_pending, []
                            self._send(proc, pending)
                            continue
                        now = time.monotonic()
                        if self.reject_hit is not None and reject_deadline is None:
                            reject_deadline = now + REJECT_GRACE_S
                        if reject_deadline is not None and now >= reject_deadline:
                            break
                        if now >= deadline:
                            self.timed_out = True
                            break
                        wait_until = min(deadline, reject_deadline or deadline)
                        self.cond.wait(timeout=min(0.25, max(0.0, wait_until - now)))
                if self.reject_hit is None and (args.screendump or args.expect_screen_ink is not None
                                                or args.expect_screen_text):
                    monitor = self._screendump(monitor, tmpdir, proc)
            finally:
                if monitor is not None:
                    monitor.close()
                if proc.stdin:
                    try:
                        proc.stdin.close()
                    except OSError:
                        pass
                if self.eof:
                    # The serial pipe closed: QEMU is on its way out.
                    try:
                        proc.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        pass
                if proc.poll() is None:
                    self.stopped_by_us = True
                    stop_process(proc)
                self.rc = proc.wait()
                _CHILDREN.discard(proc)
            reader.join(timeout=5)
            err_thread.join(timeout=5)
            if self.qmp:
                self.qmp.join(timeout=5)
            self.stderr = b"".join(c for c in err_chunks if c)
            if self.stopped_by_us:  # drop QEMU's note about our own SIGTERM
                self.stderr = re.sub(rb"(?m)^.*terminating on signal 15 from pid.*\n?", b"", self.stderr)
            if self.stderr:
                for l in self.stderr.decode(errors="replace").splitlines():
                    self.log.write(f"# qemu stderr: {l}\n")
            self.log.write(f"# qemu exit status {self.rc}"
                           + (" (stopped by the driver)" if self.stopped_by_us else "") + "\n")
            self.log.flush()

    def _send(self, proc, pending):
        """Writes triggered --send-after texts to QEMU's stdin (the serial port).
        Called with self.cond held; the write is short (the pipe buffers it)."""
        for idx, text in pending:
            try:
                proc.stdin.write(text)
                proc.stdin.flush()
            except OSError as e:
                self.send_error = f"--send-after {text!r} (after line {idx + 1}) failed: {e}"
                self.log.write(f"# {self.send_error}\n")
                break
            self.log.write(f"# sent after line {idx + 1}: {text!r}\n")
            log_verbose(self.args, f"sent {text!r}")
        self.log.flush()

    def _monitor(self, monitor, tmpdir):
        return monitor or Monitor(monitor_path(self.args, tmpdir))

    def _monitor_commands(self, monitor, tmpdir, pending):
        """Sends the monitor commands whose serial line has arrived."""
        for idx, cmd in pending:
            try:
                monitor = self._monitor(monitor, tmpdir)
                answer = monitor.command(cmd)
            except OSError as e:
                self.monitor_error = f"monitor command '{cmd}' (after line {idx + 1}) failed: {e}"
                self._log_note(self.monitor_error)
                break
            self._log_note(f"monitor after line {idx + 1}: {cmd}"
                           + (f" -> {answer!r}" if answer else ""))
            log_verbose(self.args, f"monitor: {cmd}" + (f" -> {answer!r}" if answer else ""))
        return monitor

    def _screendump(self, monitor, tmpdir, proc):
        """Dumps the screen of a QEMU that is still running; measures its ink."""
        args = self.args
        if proc.poll() is not None:
            self.screen_error = f"no screendump: QEMU had already ended ({describe_rc(proc.returncode)})"
            return monitor
        path = os.path.abspath(args.screendump) if args.screendump \
            else os.path.join(tmpdir, "screen.ppm")
        try:
            if os.path.dirname(path):
                os.makedirs(os.path.dirname(path), exist_ok=True)
            try:
                os.unlink(path)         # so a stale file cannot pass for a new one
            except FileNotFoundError:
                pass
            monitor = self._monitor(monitor, tmpdir)
            answer = monitor.command(f"screendump {path}")
            if answer:
                raise OSError(answer)
            self.screen_ink = screen_ink(path)
            if args.expect_screen_text:
                self.screen_rows = screen_text(path, args.screen_font)
        except (OSError, ValueError) as e:
            self.screen_error = f"screendump failed: {e}"
            self._log_note(self.screen_error)
            return monitor
        self._log_note(f"screendump {path}: {self.screen_ink:.1%} of pixel rows drawn on")
        if self.screen_rows is not None:
            with self.cond:
                for i, row in enumerate(self.screen_rows):
                    self.log.write(f"# screen: {i:3d} |{row}\n")
                self.log.flush()
        return monitor

    def _log_note(self, note):
        """A '# ' line in the serial log (the reader thread writes there too)."""
        with self.cond:
            self.log.write(f"# {note}\n")
            self.log.flush()

    def qemu_failed_to_start(self):
        """QEMU rejected its arguments (status 1, an error, no serial output)."""
        return (self.rc == 1 and not self.stopped_by_us and not self.lines
                and self.stderr.strip() != b"")

    def ending(self):
        """How the run ended, for failure messages."""
        if self.until_hit is not None:
            return "stopped at --until"
        if self.reject_hit is not None and self.stopped_by_us:
            return "stopped after a rejected line"
        if self.timed_out:
            return f"timed out after {self.args.timeout:g} s"
        return f"QEMU exited: {describe_rc(self.rc)}"

    def judge(self):
        """Return None on pass, else the reason for failure."""
        args = self.args
        if self.reject_hit is not None:
            idx, pattern = self.reject_hit
            return f"line {idx + 1} matches --reject '{pattern}': {self.lines[idx][1]!r}"

        pos = 0
        for rx in args.expect_re:
            while pos < len(self.lines) and not rx.search(self.lines[pos][1]):
                pos += 1
            if pos >= len(self.lines):
                return (f"no serial line matched --expect '{rx.pattern}'"
                        + (" after the earlier expected lines" if rx is not args.expect_re[0] else "")
                        + f" ({self.ending()})")
            pos += 1

        for rx in args.expect_unordered_re:
            if not any(rx.search(line) for _, line in self.lines):
                return f"no serial line matched --expect-unordered '{rx.pattern}' ({self.ending()})"

        if args.ktest_complete:
            reason = self._judge_ktest_complete()
            if reason:
                return reason

        if self.send_error:
            return self.send_error
        if self.send_pending:
            return (f"the run stopped before --send-after {self.send_pending[0][1]!r} "
                    f"was written ({self.ending()})")
        if self.send_next < len(args.send_after_re):
            rx, text = args.send_after_re[self.send_next]
            return (f"no serial line matched --send-after '{rx.pattern}'"
                    + (" after the line that triggered the send before it" if self.send_next else "")
                    + f", so {text!r} was never sent ({self.ending()})")

        if self.monitor_error:
            return self.monitor_error
        if self.monitor_pending:
            return (f"the run stopped before monitor command '{self.monitor_pending[0][1]}' "
                    f"was sent ({self.ending()})")
        for i, (rx, cmd) in enumerate(args.monitor_after_re):
            if i not in self.monitor_fired:
                return (f"no serial line matched --monitor-command-after '{rx.pattern}', "
                        f"so '{cmd}' was never sent ({self.ending()})")

        if args.expect_screen_ink is not None:
            if self.screen_error:
                return self.screen_error
            if self.screen_ink < args.expect_screen_ink:
                return (f"the screen is nearly blank: {self.screen_ink:.1%} of its pixel rows "
                        f"are drawn on, --expect-screen-ink wants {args.expect_screen_ink:.1%}")
        elif (args.screendump or args.expect_screen_text) and self.screen_error:
            return self.screen_error
        if args.expect_screen_text:
            if self.screen_rows is None:
                return "no screendump to read text from (the run ended with QEMU gone)"
            text = "\n".join(self.screen_rows)
            for rx in args.expect_screen_text_re:
                if not rx.search(text):
                    return (f"the screen's text does not match --expect-screen-text "
                            f"'{rx.pattern}' (the log shows it as '# screen:' lines)")

        if args.until_re is not None and self.until_hit is None:
            if self.timed_out:
                return f"timed out after {args.timeout:g} s waiting for --until '{args.until_re.pattern}'"
            return (f"QEMU exited ({describe_rc(self.rc)}) before a line matched "
                    f"--until '{args.until_re.pattern}'")

        if args.exit in ("pass", "fail"):
            want = QEMU_RC_PASS if args.exit == "pass" else QEMU_RC_FAIL
            if self.stopped_by_us:
                if self.timed_out:
                    return f"timed out after {args.timeout:g} s; the kernel never exited (expected exit {args.exit})"
                return f"QEMU was stopped before the kernel exited (expected exit {args.exit})"
            if self.rc != want:
                return f"expected kernel exit {args.exit}, got {describe_rc(self.rc)}"
        elif args.exit in ("poweroff", "reset"):
            want = "guest-shutdown" if args.exit == "poweroff" else "guest-reset"
            if self.qmp.error:
                return self.qmp.error
            if self.stopped_by_us:
                if self.timed_out:
                    return f"timed out after {args.timeout:g} s; the guest never did {args.exit}"
                return f"QEMU was stopped before the guest did {args.exit}"
            if self.rc != 0 or self.qmp.reason != want:
                return (f"expected the guest to {args.exit} (QMP SHUTDOWN reason {want}), got "
                        f"{describe_rc(self.rc)}, reason {self.qmp.reason or 'none'}")
        elif args.until_re is None and not self.timed_out and self.rc not in (QEMU_RC_PASS, QEMU_RC_FAIL):
            # --exit any without --until: a run that ends by itself must at
            # least end through isa-debug-exit; anything else is a crash.
            if self.rc == 0 or self.rc is None or self.rc < 0 or self.rc & 1 == 0:
                return f"QEMU ended unexpectedly: {describe_rc(self.rc)}"
        return None


    def _judge_ktest_complete(self):
        """The ktest runner ran every test it announced: one "ktest: running N
        of M tests" line, then the closing "P passed, F failed, S skipped"
        with P + F + S == N >= 1, and as many PASS / FAIL / SKIP lines as it
        counts (so a skip counted as a pass is caught)."""
        running = [(i, m) for i, (_, line) in enumerate(self.lines)
                   if (m := KTEST_RUNNING_RE.search(line))]
        if not running:
            return f"--ktest-complete: no '{KTEST_RUNNING_RE.pattern}' line ({self.ending()})"
        if len(running) > 1:
            return (f"--ktest-complete: {len(running)} '{KTEST_RUNNING_RE.pattern}' lines "
                    "(the runner started more than once)")
        start, m = running[0]
        announced = int(m.group(1))
        if announced == 0:
            return "--ktest-complete: the runner selected no test"
        end = next((i for i in range(start + 1, len(self.lines))
                    if KTEST_CLOSING_RE.search(self.lines[i][1])), None)
        if end is None:
            return (f"--ktest-complete: no closing 'P passed, F failed, S skipped' line after "
                    f"'ktest: running {announced} ...' ({self.ending()})")
        c = KTEST_CLOSING_RE.search(self.lines[end][1])
        passed, failed, skipped = int(c.group(1)), int(c.group(2)), int(c.group(3))
        if passed + failed + skipped != announced:
            return (f"--ktest-complete: the runner announced {announced} tests but closed with "
                    f"{passed} passed + {failed} failed + {skipped} skipped")
        body = [line for _, line in self.lines[start + 1:end]]
        n_pass = sum(1 for line in body if line.startswith("ktest: PASS "))
        n_fail = sum(1 for line in body if line.startswith("ktest: FAIL "))
        n_skip = sum(1 for line in body if line.startswith("ktest: SKIP "))
        if (n_pass, n_fail, n_skip) != (passed, failed, skipped):
            return (f"--ktest-complete: {n_pass} 'ktest: PASS', {n_fail} 'ktest: FAIL' and "
                    f"{n_skip} 'ktest: SKIP' lines, but the closing line counts "
                    f"{passed} passed, {failed} failed, {skipped} skipped")
        return None


def describe_rc(rc):
    if rc is None:
        return "no exit status"
    if rc == QEMU_RC_PASS:
        return "kernel exit pass (0x10, QEMU status 33)"
    if rc == QEMU_RC_FAIL:
        return "kernel exit fail (0x11, QEMU status 35)"
    if rc < 0:
        return f"QEMU killed by signal {-rc}"
    if rc == 0:
        return "QEMU status 0 (guest shut down or reset, e.g. a triple fault under -no-reboot)"
    if rc & 1:
        return f"kernel exit value {rc >> 1:#x} (QEMU status {rc})"
    return f"QEMU status {rc} (QEMU error)"


def stop_process(proc):
    try:
        proc.terminate()
        proc.wait(timeout=2)
    except subprocess.TimeoutExpired:
        proc.kill()
    except ProcessLookupError:
        pass


_CHILDREN = set()


def _on_signal(signum, frame):
    for p in list(_CHILDREN):
        try:
            p.kill()
        except Exception:
            pass
    sys.exit(128 + signum)


# ---------------------------------------------------------------- main

def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="basalt_qemu.py",
        description="Boot Basalt under QEMU and judge the serial output.",
        epilog="Exit status: 0 pass, 1 fail, 2 usage or setup error.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--elf", help="kernel ELF; the driver builds (and caches) a GRUB ISO")
    src.add_argument("--iso", help="boot this ISO as it is")
    p.add_argument("--firmware", choices=["bios", "uefi"], default="bios")
    p.add_argument("--machine", choices=["pc", "q35"], default="pc")
    p.add_argument("--cpu", default="qemu64", help="QEMU CPU model (default qemu64)")
    p.add_argument("--smp", type=int, default=1)
    p.add_argument("--mem", default="128M", help="guest memory (default 128M)")
    p.add_argument("--cmdline", default=None, help="kernel command line (with --elf)")
    p.add_argument("--loader", choices=["multiboot2", "multiboot"], default=None,
                   help="GRUB command that loads the kernel (with --elf; default multiboot2)")
    p.add_argument("--initrd", default=None, metavar="FILE",
                   help="load FILE as a multiboot module (the initramfs) next to the "
                        "kernel (with --elf)")
    p.add_argument("--grub-template", default=DEFAULT_TEMPLATE,
                   help="grub.cfg template (default iso/grub.cfg.in)")
    p.add_argument("--cache-dir", default=None,
                   help="ISO cache (default <dir of the ELF>/iso-cache)")
    p.add_argument("--disk", action="append", nargs="+", default=[],
                   metavar=("FILE", "DEVICE_OPTS"),
                   help="attach FILE as a virtio-blk-pci drive, in PCI order (repeatable); "
                        "DEVICE_OPTS, if given, are appended to its -device options "
                        "(e.g. serial=disk-a,vectors=0)")
    p.add_argument("--device", action="append", default=[], metavar="STR",
                   help="extra -device argument (repeatable)")
    p.add_argument("--qemu-arg", action="append", default=[], metavar="STR",
                   help="extra raw QEMU argument (repeatable)")
    p.add_argument("--qemu", default=QEMU, help=argparse.SUPPRESS)
    p.add_argument("--ovmf-code", default=None, help="OVMF code image (default: Debian's)")
    p.add_argument("--ovmf-vars", default=None, help="OVMF variable store template")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per boot (default 60)")
    p.add_argument("--expect", action="append", default=[], metavar="REGEX",
                   help="a serial line must match (repeatable: in the given order, each on a later line)")
    p.add_argument("--expect-unordered", action="append", default=[], metavar="REGEX",
                   help="a serial line must match, anywhere in the output (repeatable, order free)")
    p.add_argument("--reject", action="append", default=None, metavar="REGEX",
                   help=f"fail if any line matches (default '{DEFAULT_REJECT}')")
    p.add_argument("--allow-panic", action="store_true",
                   help=f"do not reject '{DEFAULT_REJECT}' lines")
    p.add_argument("--ktest-complete", action="store_true",
                   help="the ktest runner must finish what it announced: one 'ktest: running N "
                        "of M tests' line, then 'P passed, F failed, S skipped' with "
                        "P + F + S == N >= 1 and that many 'ktest: PASS' / 'ktest: FAIL' / "
                        "'ktest: SKIP' lines in between")
    p.add_argument("--until", default=None, metavar="REGEX",
                   help="stop QEMU as soon as a line matches, then judge")
    p.add_argument("--exit", choices=["pass", "fail", "any", "poweroff", "reset"], default="any",
                   help="expected kernel exit through isa-debug-exit (pass, fail), or the guest "
                        "powering off or resetting and QEMU ending by itself (default any)")
    p.add_argument("--log", default=None, help="serial log file (default: a file in $TMPDIR)")
    p.add_argument("--kvm", action="store_true", help="use KVM instead of TCG")
    p.add_argument("--graphics", action="store_true", help="show a QEMU window")
    p.add_argument("--interactive", action="store_true",
                   help="serial on this terminal (Ctrl-A X quits), no judging")
    p.add_argument("--gdb", action="store_true", help="gdbstub on :1234, start paused (-s -S)")
    p.add_argument("--monitor-socket", default=None, metavar="PATH",
                   help="QEMU monitor on a unix socket")
    p.add_argument("--monitor-command-after", nargs=2, action="append", default=[],
                   metavar=("REGEX", "CMD"),
                   help="when the first line matches REGEX, run CMD in the QEMU monitor "
                        "(e.g. nmi); the run fails if no line matches (repeatable)")
    p.add_argument("--send-after", nargs=2, action="append", default=[],
                   metavar=("REGEX", "TEXT"),
                   help="once a line (or the incomplete last line) matches REGEX, write TEXT to "
                        "the serial port; in the given order, each after a later line than the "
                        "one before; TEXT takes \\n \\r \\t \\e \\xHH \\\\ (repeatable)")
    p.add_argument("--screendump", default=None, metavar="PATH",
                   help="when the run stops (--until or --timeout) with QEMU still running, "
                        "save the screen there as a PPM (monitor 'screendump')")
    p.add_argument("--expect-screen-ink", type=float, default=None, metavar="FRACTION",
                   help="take a screendump (to --screendump or a temporary file) and require "
                        "at least FRACTION (0..1) of its pixel rows to hold a pixel other than "
                        "the background (the most common colour)")
    p.add_argument("--expect-screen-text", action="append", default=[], metavar="REGEX",
                   help="take a screendump, read it as text with --screen-font and require "
                        "REGEX to match it (multi-line: ^ and $ at each text row)")
    p.add_argument("--screen-font", default=DEFAULT_FONT, metavar="PSF",
                   help=f"the kernel's console font, for --expect-screen-text (default {DEFAULT_FONT})")
    p.add_argument("--gfxpayload", default=None, metavar="WxHxD",
                   help="UEFI: ask GRUB for this framebuffer mode, e.g. 1024x768x32")
    p.add_argument("--no-video", action="store_true",
                   help="grub.cfg loads no video driver: under UEFI the kernel gets no "
                        "framebuffer (with --elf)")
    p.add_argument("--report-boot-time", default=None, metavar="REGEX",
                   help="print the time from QEMU start to the first line matching REGEX")
    p.add_argument("--repeat", type=int, default=1, metavar="N",
                   help="boot N times (benchmarks: min/median/max boot time)")
    p.add_argument("--print-command", action="store_true",
                   help="print the QEMU command line and exit")
    p.add_argument("-v", "--verbose", action="store_true", help="echo serial lines as they arrive")
    args = p.parse_args(argv)

    if args.iso and (args.cmdline is not None or args.loader is not None or args.gfxpayload
                     or args.no_video or args.initrd):
        p.error("--cmdline, --loader, --gfxpayload, --no-video and --initrd need --elf "
                "(an --iso boots as it is)")
    if args.no_video and args.gfxpayload:
        p.error("--no-video and --gfxpayload exclude each other")
    if args.gfxpayload and (args.firmware != "uefi" or not GFXPAYLOAD_RE.match(args.gfxpayload)):
        p.error("--gfxpayload takes WxH or WxHxD and sets the UEFI framebuffer (--firmware uefi)")
    args.cmdline = args.cmdline if args.cmdline is not None else ""
    args.loader = args.loader or "multiboot2"
    if args.smp < 1:
        p.error("--smp must be at least 1")
    for d in args.disk:
        if len(d) > 2:
            p.error(f"--disk takes FILE and at most one DEVICE_OPTS, got {' '.join(d)}")
    args.disk = [(d[0], d[1] if len(d) > 1 else "") for d in args.disk]
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    if args.timeout <= 0:
        p.error("--timeout must be positive")
    if args.interactive and args.repeat != 1:
        p.error("--interactive and --repeat do not mix")
    if args.interactive and (args.monitor_command_after or args.send_after or args.screendump
                             or args.expect_screen_ink is not None or args.expect_screen_text):
        p.error("--monitor-command-after, --send-after, --screendump, --expect-screen-ink "
                "and --expect-screen-text "
                "judge a run: "
                "not with --interactive")
    if args.expect_screen_ink is not None and not 0.0 <= args.expect_screen_ink <= 1.0:
        p.error("--expect-screen-ink takes a fraction between 0 and 1")

    def compile_re(pattern, opt):
        try:
            return re.compile(pattern)
        except re.error as e:
            p.error(f"bad {opt} regex '{pattern}': {e}")

    rejects = list(args.reject) if args.reject is not None else []
    if not args.allow_panic and DEFAULT_REJECT not in rejects:
        rejects.append(DEFAULT_REJECT)
    args.expect_re = [compile_re(x, "--expect") for x in args.expect]
    args.expect_unordered_re = [compile_re(x, "--expect-unordered") for x in args.expect_unordered]
    args.reject_re = [compile_re(x, "--reject") for x in rejects]
    args.until_re = compile_re(args.until, "--until") if args.until else None
    args.expect_screen_text_re = [re.compile(x.pattern, re.MULTILINE) for x in
                                  (compile_re(x, "--expect-screen-text") for x in args.expect_screen_text)]
    args.monitor_after_re = [(compile_re(rx, "--monitor-command-after"), cmd)
                             for rx, cmd in args.monitor_command_after]
    for _, cmd in args.monitor_after_re:
        if not cmd.strip() or any(ord(c) < 0x20 for c in cmd):
            p.error(f"bad --monitor-command-after command {cmd!r}")
    args.send_after_re = []
    for rx, text in args.send_after:
        try:
            args.send_after_re.append((compile_re(rx, "--send-after"), decode_send_text(text)))
        except ValueError as e:
            p.error(f"bad --send-after text {text!r}: {e}")
    args.report_boot_time_re = (compile_re(args.report_boot_time, "--report-boot-time")
                                if args.report_boot_time else None)
    return args


def run_interactive(args, iso):
    with tempfile.TemporaryDirectory(prefix="basalt-qemu-") as tmpdir:
        cmd = qemu_command(args, iso, tmpdir)
        log_verbose(args, "running: " + shlex.join(cmd))
        print("basalt_qemu: serial console on this terminal; Ctrl-A X quits, "
              "Ctrl-A C toggles the QEMU monitor", file=sys.stderr, flush=True)
        if args.gdb:
            print("basalt_qemu: paused for gdb on localhost:1234 (attach with scripts/gdb)",
                  file=sys.stderr, flush=True)
        proc = subprocess.Popen(cmd, preexec_fn=_set_pdeathsig)
        _CHILDREN.add(proc)
        while True:
            try:
                rc = proc.wait()
                break
            except KeyboardInterrupt:
                continue  # Ctrl-C goes to QEMU only when the terminal is not raw
        _CHILDREN.discard(proc)
        if rc != 0:
            print(f"basalt_qemu: QEMU ended: {describe_rc(rc)}", file=sys.stderr)
        return 0 if rc in (0, QEMU_RC_PASS) else 1


def main(argv):
    args = parse_args(argv)
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, _on_signal)
    try:
        if args.elf:
            check_cmdline(args.cmdline)
            iso = build_iso(args)
        else:
            if not os.path.isfile(args.iso):
                raise SetupError(f"--iso {args.iso} does not exist")
            iso = os.path.abspath(args.iso)

        if args.print_command:
            with tempfile.TemporaryDirectory(prefix="basalt-qemu-") as tmpdir:
                print(shlex.join(qemu_command(args, iso, tmpdir)))
            return 0
        if args.interactive:
            return run_interactive(args, iso)

        log_is_temp = not args.log
        if args.log:
            log_path = os.path.abspath(args.log)
            os.makedirs(os.path.dirname(log_path), exist_ok=True)
        else:
            fd, log_path = tempfile.mkstemp(prefix="basalt-serial-", suffix=".log")
            os.close(fd)

        results = []
        with open(log_path, "w", encoding="utf-8") as log:
            log.write(f"# basalt_qemu.py {shlex.join(argv)}\n")
            if args.elf:
                log.write(f"# iso {iso} (cmdline {args.cmdline!r}, loader {args.loader}"
                          + (f", gfxpayload {args.gfxpayload}" if args.gfxpayload else "")
                          + (", no video driver" if args.no_video else "") + ")\n")
            for i in range(args.repeat):
                if args.repeat > 1:
                    log.write(f"# ==== run {i + 1}/{args.repeat} ====\n")
                run = Run(args, iso, log)
                run.execute()
                if run.qemu_failed_to_start():
                    raise SetupError("QEMU failed to start:\n"
                                     + run.stderr.decode(errors="replace").rstrip())
                reason = run.judge()
                results.append((run, reason))
                if args.repeat > 1:
                    bt = f", boot-time {run.boot_time:.3f} s" if run.boot_time is not None else ""
                    print(f"run {i + 1}/{args.repeat}: {'PASS' if reason is None else 'FAIL: ' + reason}{bt}",
                          flush=True)
    except SetupError as e:
        print(f"basalt_qemu: error: {e}", file=sys.stderr)
        print("FAIL: setup error (see above)")
        return 2

    if args.report_boot_time:
        times = [r.boot_time for r, _ in results if r.boot_time is not None]
        if times and len(results) == 1:
            print(f"boot-time: {args.firmware} {times[0]:.3f} s to '{args.report_boot_time}'")
        elif times:
            print(f"boot-time: {args.firmware} min {min(times):.3f} median "
                  f"{statistics.median(times):.3f} max {max(times):.3f} s to "
                  f"'{args.report_boot_time}' over {len(times)} boots")
        else:
            print(f"boot-time: {args.firmware} no line matched '{args.report_boot_time}'")

    failed = [(i, r, reason) for i, (r, reason) in enumerate(results) if reason is not None]
    if not failed:
        last = results[-1][0]
        if last.until_hit is not None:
            how = "stopped at --until"
        elif last.timed_out:
            how = f"stopped after --timeout {args.timeout:g} s"
        else:
            how = describe_rc(last.rc)
        print(f"PASS ({len(last.lines)} serial lines, {how})", flush=True)
        if log_is_temp:
            os.unlink(log_path)
        return 0

    i, run, reason = failed[0]
    prefix = f"run {i + 1}/{args.repeat}: " if args.repeat > 1 else ""
    print(f"FAIL: {prefix}{reason}")
    tail = run.lines[-TAIL_LINES:]
    print(f"--- last {len(tail)} serial lines (of {len(run.lines)}) ---")
    for t, line in tail:
        print(f"[{t:9.4f}] {line}")
    if run.stderr:
        print("--- QEMU stderr ---")
        print(run.stderr.decode(errors="replace").rstrip())
    print(f"--- serial log: {log_path}")
    sys.stdout.flush()
    return 1


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        _on_signal(signal.SIGINT, None)
    except BrokenPipeError:
        # stdout closed (e.g. piped into head): nothing more can be reported.
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        sys.exit(1)
