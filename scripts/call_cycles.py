#!/usr/bin/env python3
"""scripts/call_cycles.py BUILD_DIR: the call cycles between gatewayd's .c files.

Reads the objects under BUILD_DIR/obj with nm (run from the project's root;
an object whose .c is gone is skipped): a file that uses a symbol
another file defines (a function or a table) depends on it. Prints how many
files sit in a cycle and, per cycle (a strongly connected set), who uses
whom. Callbacks reached through a struct of function pointers make no edge.
Exit status 1 when there is a cycle, so `make check` can hold the line.
"""
import subprocess, sys, glob, os
objs = sorted(glob.glob(sys.argv[1] + '/obj/**/*.o', recursive=True))
defined, used = {}, {}
for o in objs:
    name = os.path.relpath(o, sys.argv[1] + '/obj')[:-2] + '.c'
    if not os.path.exists(name):
        continue  # left over from a file since moved or removed
    out = subprocess.run(['nm', o], capture_output=True, text=True).stdout
    d, u = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in 'TDRB':
            d.add(parts[2])
        elif len(parts) == 2 and parts[0] == 'U':
            u.add(parts[1])
    defined[name], used[name] = d, u
owner = {s: f for f, ds in defined.items() for s in ds}
edges = {f: sorted({owner[s] for s in used[f] if s in owner and owner[s] != f}) for f in defined}
# Tarjan SCC
index, low, stack, on, sccs, i = {}, {}, [], set(), [], [0]
def strong(v):
    index[v] = low[v] = i[0]; i[0] += 1; stack.append(v); on.add(v)
    for w in edges[v]:
        if w not in index:
            strong(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        c = []
        while True:
            w = stack.pop(); on.discard(w); c.append(w)
            if w == v: break
        if len(c) > 1: sccs.append(sorted(c))
sys.setrecursionlimit(10000)
for v in edges:
    if v not in index: strong(v)
n = sum(len(c) for c in sccs)
print(f"{n} of {len(edges)} .c files in call cycles")
for c in sccs:
    print("  cycle:", " ".join(c))
    for f in c:
        print("    ", f, "->", " ".join(w for w in edges[f] if w in c))
sys.exit(1 if sccs else 0)
