"""Run every benchmark in this folder: ``python -m tests.bench [name ...]``."""

import importlib
import pkgutil
import sys
from pathlib import Path


def main(names: list[str]) -> int:
    failed = 0
    for module in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if not module.name.startswith("bench_") or (names and module.name not in names):
            continue
        print(f"== {module.name}", flush=True)
        failed |= bool(importlib.import_module(f"tests.bench.{module.name}").main())
    return failed


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
