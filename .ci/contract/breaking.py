"""Fails when Optic finds a breaking change that the README's changelog does not name.

Usage: python3 breaking.py OPTIC_OUTPUT README.md
Optic marks each operation with a breaking change `x METHOD PATH:`. Every such operation must
appear as `METHOD PATH` in backticks under the changelog's `### Unreleased` heading.
"""

import re
import sys

optic, readme = (open(path, encoding="utf-8").read() for path in sys.argv[1:3])
broken = sorted(set(re.findall(r"^x ((?:GET|POST|PUT|PATCH|DELETE) \S+):", optic, re.M)))
changelog = readme.split("## Changelog", 1)[-1]
unreleased = changelog.split("### Unreleased", 1)[-1].split("\n### ", 1)[0] if "### Unreleased" in changelog else ""
named = set(re.findall(r"`((?:GET|POST|PUT|PATCH|DELETE) [^`]+)`", unreleased))
missing = [operation for operation in broken if operation not in named]
for operation in broken:
    print(f"{'named' if operation in named else 'NOT NAMED'}: breaking change to {operation}")
if missing:
    print(f"{len(missing)} breaking change(s) not named in the README's changelog (### Unreleased)")
    sys.exit(1)
print(f"breaking changes: {len(broken)}, all named in the changelog")
