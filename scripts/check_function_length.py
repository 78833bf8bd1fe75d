"""Fail when a function in src/facturier (migrations aside) is longer than MAX_LINES.

    python scripts/check_function_length.py

A function is counted from its `def` line to its last line, docstring and comments
included: what a reader has to hold in their head. `make lint` runs it.
"""

import ast
import sys
from pathlib import Path

MAX_LINES = 60
ROOT = Path(__file__).resolve().parent.parent / "src" / "facturier"
# Longer functions not split yet, as "<path under src/facturier>::<name>". An entry goes
# when its function is split; the check fails on an entry that is no longer too long.
KNOWN_LONG: set[str] = set()


def too_long(root: Path) -> dict[str, int]:
    """Each function over MAX_LINES, as "<path>::<name>" -> its number of lines."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.relative_to(root).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_LINES:
                    found[f"{path.relative_to(root).as_posix()}::{node.name}"] = lines
    return found


def main() -> int:
    found = too_long(ROOT)
    problems = [
        f"src/facturier/{name}: {lines} lines (at most {MAX_LINES}): split it into "
        "well-named helpers"
        for name, lines in sorted(found.items())
        if name not in KNOWN_LONG
    ]
    problems += [
        f"{name} is no longer over {MAX_LINES} lines: remove it from KNOWN_LONG"
        for name in sorted(KNOWN_LONG - set(found))
    ]
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
