"""Run every benchmark in this folder: ``python -m tests.bench [name ...]``.

Each benchmark runs the gateway with the run command's default configuration first and
prints any tuned variant after it, labelled; before its figures it says what generates
the load, what it is compared with and why that comparison is fair (its docstring, shown
here, and its own printed lines).
"""

import importlib
import pkgutil
import sys
from pathlib import Path


def main(names: list[str]) -> int:
    failed = 0
    for module in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if not module.name.startswith("bench_") or (names and module.name not in names):
            continue
        bench = importlib.import_module(f"tests.bench.{module.name}")
        print(f"== {module.name}", flush=True)
        print((bench.__doc__ or "").strip() + "\n", flush=True)
        failed |= bool(bench.main())
    return failed


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
