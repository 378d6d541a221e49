"""The layout's one rule, checked: the domain, spatial and layer packages never load the web framework."""
from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("aduan", "geo", "layers")


def _modules() -> list[str]:
    names = []
    for package in PACKAGES:
        names.append(package)
        names += [m.name for m in pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}.")]
    return names


def test_domain_geo_and_layers_load_no_flask_or_werkzeug():
    """Importing every module of aduan/, geo/ and layers/ in a fresh interpreter leaves flask and werkzeug unloaded."""
    modules = _modules()
    assert len(modules) > 20  # the walk found the packages
    code = ("import importlib, sys\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            "print(sorted(n for n in sys.modules if n.split('.')[0] in ('flask', 'werkzeug')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_migrations_never_import_the_app_or_the_domain():
    """Migration scripts are frozen history: they import neither app/ nor aduan/ (env.py may read the models)."""
    import ast

    for path in sorted((ROOT / "migrations" / "versions").glob("*.py")):
        tree = ast.parse(path.read_text())
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not {m for m in imported if m.split(".")[0] in ("app", "aduan")}, path.name
    env = (ROOT / "migrations" / "env.py").read_text()
    assert "from app" not in env and "import app" not in env
