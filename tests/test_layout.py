"""The package's arrows point one way: core ← orchestration and checks ← the command line,
with the developer tools beside it. A module that imports against that direction fails
here, by name, before it makes the next change harder (README, "Project layout")."""

from __future__ import annotations

import ast
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SHELL = ("mau_warehouse.cli",)
TOOLS = ("mau_warehouse.tools",)
# What each part may not import: everything above it.
FORBIDDEN = {
    "core": (*SHELL, *TOOLS, "orchestration", "dashboards", "data_quality"),
    "data_quality": (*SHELL, *TOOLS, "orchestration", "dashboards"),
    "orchestration": (*SHELL, *TOOLS, "dashboards"),
    "dashboards": (*SHELL, *TOOLS, "orchestration", "data_quality"),
    "tools": (*SHELL,),
}


def _part(path: Path) -> str | None:
    relative = path.relative_to(REPO_ROOT).as_posix()
    if relative.startswith("mau_warehouse/cli/"):
        return None  # the shell on top may import anything
    if relative.startswith("mau_warehouse/tools/"):
        return "tools"
    if relative.startswith("mau_warehouse/"):
        return "core"
    return relative.split("/", 1)[0]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_no_module_imports_a_layer_above_it() -> None:
    sources = [
        path
        for folder in ("mau_warehouse", "orchestration", "data_quality", "dashboards")
        for path in (REPO_ROOT / folder).rglob("*.py")
    ]
    assert len(sources) > 50
    wrong = sorted(
        f"{path.relative_to(REPO_ROOT)} imports {name}"
        for path in sources
        if (part := _part(path)) is not None
        for name in _imports(path)
        if any(name == above or name.startswith(f"{above}.") for above in FORBIDDEN[part])
    )
    assert wrong == []
