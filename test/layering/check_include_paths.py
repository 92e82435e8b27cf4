#!/usr/bin/env python3
"""test/layering/check_include_paths.py - the build enforces the layering.

cmake/Layers.cmake gives each kernel target one include directory,
<build>/layers/<layer>, that holds links to the include folders that layer
may use. This check compiles a one-line file against each layer's
directory: a header of the layer itself and of every layer below must be
found, and a header of every layer above must not ("No such file"), so an
upward #include fails to compile instead of relying on review.

Usage: check_include_paths.py CC BUILD_DIR   (exit 0: enforced, 1: not)
"""
import os
import subprocess
import sys
import tempfile

LAYERS = ["core", "mm", "sched", "dev", "kernel"]
# one real header of each layer (fs has none yet; uapi comes with user space)
PROBE = {"core": "core/printk.h", "mm": "mm/pmm.h", "sched": "sched/sched.h",
         "dev": "dev/pci.h", "kernel": "kernel/kshell.h"}


def compiles(cc, view, build, header, workdir):
    src = os.path.join(workdir, "probe.c")
    with open(src, "w") as f:
        f.write(f"#include <{header}>\n")
    r = subprocess.run([cc, "-fsyntax-only", "-ffreestanding", "-std=gnu11", "-x", "c",
                        "-I", view, "-I", os.path.join(build, "include"), src],
                       capture_output=True, text=True)
    return r.returncode == 0, r.stderr


def main():
    cc, build = sys.argv[1], os.path.abspath(sys.argv[2])
    bad = []
    checked = 0
    with tempfile.TemporaryDirectory() as workdir:
        for i, layer in enumerate(LAYERS):
            view = os.path.join(build, "layers", layer)
            if not os.path.isdir(view):
                bad.append(f"{view}: missing (cmake/Layers.cmake did not make it)")
                continue
            for j, other in enumerate(LAYERS):
                ok, err = compiles(cc, view, build, PROBE[other], workdir)
                checked += 1
                if j <= i and not ok:
                    bad.append(f"{layer} cannot include <{PROBE[other]}> but may:\n{err}")
                elif j > i and ok:
                    bad.append(f"{layer} can include <{PROBE[other]}> from above it")
                elif j > i and "No such file" not in err:
                    bad.append(f"{layer} including <{PROBE[other]}> failed for another reason:\n{err}")
    for b in bad:
        print("include-paths: " + b)
    if bad:
        return 1
    print(f"include-paths: {checked} probes: every layer sees itself and below, nothing above")
    return 0


if __name__ == "__main__":
    sys.exit(main())
