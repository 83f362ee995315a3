"""``python -m rewardsmith.kinds [README]``: rewrite the README's table of kinds from the catalogue."""

from __future__ import annotations

import sys
from pathlib import Path

from . import readme_with_table

__all__: list[str] = []


def main(argv: list[str]) -> int:
    """Rewrite the table in the README given (default: README.md of the current folder)."""
    path = Path(argv[0] if argv else "README.md")
    text = path.read_text(encoding="utf-8")
    fresh = readme_with_table(text)
    if fresh != text:
        path.write_text(fresh, encoding="utf-8")
        print(f"rewrote the table of kinds in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
