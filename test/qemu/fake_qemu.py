#!/usr/bin/env python3
"""test/qemu/fake_qemu.py - a stand-in for qemu-system-x86_64 that tests
basalt_qemu.py's own judging (ctest entries driver.*).

Ignores its arguments, writes the file named by $BASALT_FAKE_SERIAL to
stdout (where the driver reads the serial port) and exits with
$BASALT_FAKE_RC (default 33: the kernel's isa-debug-exit "pass"), so a
made-up serial log can be judged without booting anything.
"""
import os
import sys

with open(os.environ["BASALT_FAKE_SERIAL"], "rb") as f:
    sys.stdout.buffer.write(f.read())
sys.stdout.flush()
sys.exit(int(os.environ.get("BASALT_FAKE_RC", "33")))
