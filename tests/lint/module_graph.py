#!/usr/bin/env python3
"""The module graph of host/: which file calls which, read from the object
files' symbol tables (nm), so it cannot drift from the code.  Exit 1 and
print the cycle when a file depends on itself through others; with
--layers, print the files from the bottom (depends on nothing of host/)
up, each after everything it uses.

    module_graph.py [--layers] OBJECTS_LIST_FILE
"""
import subprocess
import sys


def symbols(obj):
    out = subprocess.run(["nm", "-P", obj], check=True, capture_output=True, text=True).stdout
    defined, used = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        name, kind = parts[0], parts[1]
        if kind == "U":
            used.add(name)
        elif kind.isupper():
            defined.add(name)
    return defined, used


def module(obj):
    base = obj.rsplit("/", 1)[-1]
    return base[: -len(".c.o")] if base.endswith(".c.o") else base


def main(argv):
    layers = "--layers" in argv
    args = [a for a in argv if not a.startswith("--")]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    with open(args[0]) as f:
        objs = [line.strip() for line in f if line.strip()]
    owner, uses = {}, {}
    for obj in objs:
        defined, used = symbols(obj)
        name = module(obj)
        uses[name] = used
        for sym in defined:
            owner[sym] = name
    graph = {m: sorted({owner[s] for s in u if s in owner and owner[s] != m}) for m, u in uses.items()}
    # Depth-first search for a cycle.
    state, stack = {}, []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for n in graph[m]:
            if state.get(n) == 1:
                cycle = stack[stack.index(n):] + [n]
                print("cycle: " + " -> ".join(cycle))
                return False
            if state.get(n) is None and not visit(n):
                return False
        stack.pop()
        state[m] = 2
        return True

    for m in sorted(graph):
        if state.get(m) is None and not visit(m):
            for a in cycle_edges(graph, stack):
                print(a)
            return 1
    if layers:
        level = {}

        def depth(m):
            if m not in level:
                level[m] = 1 + max((depth(n) for n in graph[m]), default=-1)
            return level[m]

        for m in graph:
            depth(m)
        for lv in range(max(level.values()) + 1):
            names = sorted(m for m in level if level[m] == lv)
            print("%d: %s" % (lv, " ".join(names)))
    print("host/: %d modules, no cycle" % len(graph))
    return 0


def cycle_edges(graph, stack):
    return ["  %s uses %s" % (a, ", ".join(graph[a])) for a in stack]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
