"""`python -m bench` (make bench): run every benchmark module that exists, one after another."""
from __future__ import annotations

import importlib
import sys

MODULES = ["bench.intake", "bench.nearby", "bench.layers", "bench.cluster"]

if __name__ == "__main__":
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            print(f"({name} not present)", file=sys.stderr)
            continue
        print(f"\n== {name} ==", flush=True)
        module.main(sys.argv[1:])
