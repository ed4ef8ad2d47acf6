#!/usr/bin/env python3
"""Fails when modules of a crate import each other in a circle.

Reads every `crate::module` a file names, in `use` lines (braces too) and in paths written
inline, and reports each group of modules that reach one another. Usage:
  python3 .ci/import-cycles.py crates/persistence/src
"""
import pathlib
import re
import sys


def module_of(root: pathlib.Path, path: pathlib.Path) -> str:
    rel = path.relative_to(root).with_suffix("")
    top = rel.parts[0]
    return "lib" if top in ("lib", "mod") else top


def names(text: str) -> set[str]:
    text = re.sub(r"//[^\n]*", "", text)
    found = set(re.findall(r"\bcrate::([a-z_][a-z0-9_]*)", text))
    for group in re.findall(r"\buse crate::\{([^;]*)\};", text, re.S):
        depth, item, items = 0, "", []
        for ch in group:
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            if ch == "," and depth == 0:
                items.append(item)
                item = ""
            else:
                item += ch
        items.append(item)
        for entry in items:
            head = entry.strip().split("::")[0].split(" ")[0]
            if re.fullmatch(r"[a-z_][a-z0-9_]*", head) and head != "self":
                found.add(head)
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return out


def main() -> int:
    root = pathlib.Path(sys.argv[1])
    graph: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.rs")):
        module = module_of(root, path)
        if module == "lib":
            continue
        graph.setdefault(module, set()).update(
            name
            for name in names(path.read_text())
            if name != module and ((root / f"{name}.rs").exists() or (root / name).is_dir())
        )
    found = cycles(graph)
    for group in found:
        edges = [f"{a} -> {b}" for a in group for b in sorted(graph[a]) if b in group]
        print(f"{root}: modules that import each other: {', '.join(group)}")
        for edge in edges:
            print(f"  {edge}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
