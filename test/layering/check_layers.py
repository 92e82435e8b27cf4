#!/usr/bin/env python3
"""test/layering/check_layers.py - the layering rule, checked on the sources.

Basalt's targets form one chain, lowest first:
    core -> mm -> sched -> dev -> fs -> kernel (the basalt.elf executable)
A file of a target may include headers of its own target and of the targets
below it, never above (include/uapi, the Linux ABI, is below them all). This
script reads every .c/.h under src/ and include/ and fails when

  1. a file includes a header of a target above its own (an arrow up);
  2. the includes between targets form a cycle (impossible without 1, but
     reported on its own so the message names the loop);
  3. headers include each other in a cycle (file level, any target): a
     cycle means the headers cannot be read, or split, one at a time.

It also fails on an include of a header that does not exist in include/
under a known target, so a moved header cannot leave a stale path behind.
The build enforces rule 1 as well (each CMake target sees only the include
directories it may use, cmake/Layers.cmake); this check explains the error
and catches headers the build does not compile.

Usage: check_layers.py [SOURCE_ROOT]   (exit 0: clean, 1: violations)
"""
import os
import re
import sys

LAYERS = ["uapi", "core", "mm", "sched", "dev", "fs", "kernel"]
RANK = {name: i for i, name in enumerate(LAYERS)}
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*[<"]([A-Za-z0-9_]+)/([^>"]+)[>"]')


def target_of(rel):
    """The layer a file belongs to: src/<t>/... or include/<t>/..."""
    parts = rel.split(os.sep)
    if len(parts) >= 3 and parts[0] in ("src", "include") and parts[1] in RANK:
        return parts[1]
    return None


def scan(root):
    files = {}
    for top in ("src", "include"):
        for dirpath, _dirs, names in os.walk(os.path.join(root, top)):
            for name in sorted(names):
                if not name.endswith((".c", ".h")):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root)
                target = target_of(rel)
                if target is None:
                    continue
                incs = []
                with open(path, errors="replace") as f:
                    for lineno, line in enumerate(f, 1):
                        m = INCLUDE_RE.match(line)
                        if m and m.group(1) in RANK:
                            incs.append((lineno, m.group(1), m.group(2)))
                files[rel] = (target, incs)
    return files


def find_cycles(graph):
    """Strongly connected components with more than one node (or a self loop)."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        # iterative Tarjan, so deep include chains cannot hit the recursion limit
        work = [(v, iter(sorted(graph.get(v, ()))))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        while work:
            node, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    advanced = True
                    break
                if w in on_stack:
                    low[node] = min(low[node], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1 or node in graph.get(node, ()):
                    out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(__file__), "..", ".."))
    files = scan(root)
    problems = []
    target_graph = {}
    header_graph = {}
    for rel, (target, incs) in sorted(files.items()):
        for lineno, inc_target, inc_path in incs:
            header = os.path.join("include", inc_target, inc_path)
            if not os.path.isfile(os.path.join(root, header)):
                problems.append(f"{rel}:{lineno}: includes <{inc_target}/{inc_path}>, "
                                f"which does not exist")
                continue
            if RANK[inc_target] > RANK[target]:
                problems.append(f"{rel}:{lineno}: {target} includes <{inc_target}/{inc_path}>: "
                                f"{inc_target} is above {target} (order: {' -> '.join(LAYERS)})")
            if inc_target != target:
                target_graph.setdefault(target, set()).add(inc_target)
            if rel.startswith("include" + os.sep):
                header_graph.setdefault(rel, set()).add(header)
    for comp in find_cycles(target_graph):
        problems.append("include cycle between targets: " + " <-> ".join(comp))
    for comp in find_cycles(header_graph):
        problems.append("include cycle between headers: " + " <-> ".join(comp))
    nfiles = len(files)
    if problems:
        for p in problems:
            print("layering: " + p)
        print(f"layering: {len(problems)} problem(s) in {nfiles} files")
        return 1
    print(f"layering: {nfiles} files, {sum(len(i) for _, i in files.values())} includes: "
          f"every arrow points down, no include cycles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
