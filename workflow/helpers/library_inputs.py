"""The library sources a workflow script runs, found from its import graph.

Snakemake's code trigger sees a rule's script file, not the modules that script imports. Each
rule therefore lists these sources as inputs: editing `ecgbeats/denoising.py` makes every rule
whose script (directly or through other modules) imports it out of date, editing only the
plotting code reruns only figures, and the between-workflow cache (`--cache`), which hashes a
rule's source inputs by content, keys its entries on them too.

The graph is read statically with `ast` (no import is executed), over every `import` statement
anywhere in a file (also inside functions), so it can only list more modules than run, never
fewer; tests/test_library_inputs.py checks it against what importing really loads.
"""

from __future__ import annotations

import ast
import os
from functools import cache
from pathlib import Path


def _module_file(scripts_dir: Path, dotted: str) -> Path | None:
    """The source file of a local module (`ecgbeats`, `ecgbeats.beats`), or None."""
    path = scripts_dir.joinpath(*dotted.split("."))
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    return None


def _imported_names(source: Path, scripts_dir: Path) -> set[str]:
    """Dotted names of local modules that `source` imports (package inits included)."""
    # Relative imports resolve against the folder of the file (its package).
    package = source.parent.relative_to(scripts_dir).parts
    names: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"), filename=str(source))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                prefix = ".".join(package[: len(package) - (node.level - 1)])
                module = f"{prefix}.{node.module}" if node.module else prefix
            else:
                module = node.module or ""
            names.add(module)
            # `from ecgbeats import plots` imports the submodule `ecgbeats.plots`.
            names.update(f"{module}.{alias.name}" for alias in node.names)
    expanded: set[str] = set()
    for name in names:
        parts = name.split(".")
        # Importing `a.b.c` runs `a/__init__.py` and `a/b/__init__.py` first.
        expanded.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    return expanded


@cache
def _sources(script: Path, scripts_dir: Path) -> frozenset[Path]:
    seen: set[Path] = set()
    pending = [script]
    while pending:
        current = pending.pop()
        for name in _imported_names(current, scripts_dir):
            found = _module_file(scripts_dir, name)
            if found is not None and found not in seen and found != script:
                seen.add(found)
                pending.append(found)
    return frozenset(seen)


def library_sources(script: str | Path, scripts_dir: str | Path) -> list[str]:
    """Sorted paths of the local modules `script` imports, directly or not (not the script).

    Paths keep the form of `scripts_dir` (relative in, relative out), so they can be used as
    Snakemake inputs of the rule that runs `script`.
    """
    scripts_dir = Path(scripts_dir)
    script = Path(script)
    if not script.is_absolute() and script.parent == Path("."):
        script = scripts_dir / script
    return sorted(str(p) for p in _sources(script, scripts_dir))


def run_own_library(scripts_dir: str | Path) -> None:
    """Put `scripts_dir` first on PYTHONPATH, which the workflow's jobs inherit.

    The jobs must run the library whose sources the rules track. Snakemake appends a script's
    folder to sys.path after site-packages, so another installed `ecgbeats` (another
    checkout's editable install, an old wheel) would win; PYTHONPATH comes before both.
    """
    own = str(Path(scripts_dir).resolve())
    current = os.environ.get("PYTHONPATH", "")
    if current.split(os.pathsep)[0] != own:
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [own, current]))
