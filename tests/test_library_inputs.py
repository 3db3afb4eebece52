"""The library sources of each script (workflow/helpers/library_inputs.py) and the rules' inputs.

The static import graph must list every local module that running the script's imports really
loads (never fewer), and every rule that runs a script must list them as inputs.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.library_inputs import library_sources

REPO_ROOT = Path(__file__).resolve().parents[1]
SCRIPTS_DIR = REPO_ROOT / "workflow" / "scripts"
SCRIPTS = sorted(p.name for p in SCRIPTS_DIR.glob("*.py"))

# Executes only the import statements of a script (the rest needs Snakemake), then prints the
# local modules that Python loaded.
PROBE = """
import ast, json, sys
source = open(sys.argv[1]).read()
imports = [n for n in ast.parse(source).body if isinstance(n, (ast.Import, ast.ImportFrom))]
exec(compile(ast.Module(body=imports, type_ignores=[]), sys.argv[1], "exec"), {})
local = sorted(
    m.__file__ for m in list(sys.modules.values())
    if getattr(m, "__file__", None) and m.__file__.startswith(sys.argv[2])
)
print(json.dumps(local))
"""


@pytest.mark.parametrize("script", SCRIPTS)
def test_static_graph_covers_what_importing_loads(script: str, tmp_path: Path):
    listed = {str(Path(p).resolve()) for p in library_sources(script, SCRIPTS_DIR)}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(SCRIPTS_DIR / script), str(SCRIPTS_DIR)],
        cwd=SCRIPTS_DIR,
        env={
            "PYTHONPATH": str(SCRIPTS_DIR),
            "MPLBACKEND": "Agg",
            "NUMBA_CACHE_DIR": str(tmp_path),
            "PATH": "",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = {str(Path(p).resolve()) for p in json.loads(result.stdout.splitlines()[-1])}
    assert loaded, "the probe loaded no local module"
    assert loaded <= listed, f"imported but not listed: {sorted(loaded - listed)}"
    # Listed but not loaded at import time: only imports inside functions may explain it.
    for extra in listed - loaded:
        assert Path(extra).is_file()


def test_transitive_and_relative_imports(tmp_path: Path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from . import b\n")
    (package / "b.py").write_text("from .c import thing\n")
    (package / "c.py").write_text("def thing():\n    import pkg.d\n")
    (package / "d.py").write_text("import numpy\n")
    (package / "unused.py").write_text("")
    (tmp_path / "script.py").write_text("from pkg import a\nimport os\n")
    found = {
        Path(p).relative_to(tmp_path).as_posix() for p in library_sources("script.py", tmp_path)
    }
    assert found == {"pkg/__init__.py", "pkg/a.py", "pkg/b.py", "pkg/c.py", "pkg/d.py"}


def _rule_scripts_and_library_inputs(smk: Path) -> list[tuple[str, str, str | None]]:
    """(rule, script, script named by its `library(...)` input) for each script rule."""
    text = smk.read_text()
    found = []
    for block in text.split("\nrule ")[1:]:
        name = block.split(":", 1)[0].strip()
        script = None
        library = None
        lines = block.splitlines()
        for i, line in enumerate(lines):
            if line.strip() == "script:":
                script = ast.literal_eval(lines[i + 1].strip()).rsplit("/", 1)[-1]
            if line.strip().startswith("library=library("):
                library = ast.literal_eval(line.strip()[len("library=library(") : -2])
        if script:
            found.append((name, script, library))
    return found


def test_every_script_rule_lists_its_library_sources():
    rules = [
        entry
        for smk in sorted((REPO_ROOT / "workflow" / "rules").glob("*.smk"))
        for entry in _rule_scripts_and_library_inputs(smk)
    ]
    assert len(rules) >= 15
    for name, script, library in rules:
        assert library == script, f"rule {name} runs {script} but lists library({library!r})"


def test_jobs_import_the_library_of_their_own_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """PYTHONPATH puts the checkout's scripts folder before any installed copy, once."""
    from helpers.library_inputs import run_own_library

    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    run_own_library(tmp_path)
    run_own_library(tmp_path)
    assert os.environ["PYTHONPATH"].split(os.pathsep) == [str(tmp_path.resolve()), "/elsewhere"]
    # A job's interpreter then finds this checkout's package first, even with one installed.
    package = tmp_path / "ecgbeats"
    package.mkdir()
    (package / "__init__.py").write_text("")
    found = subprocess.run(
        [sys.executable, "-c", "import ecgbeats; print(ecgbeats.__file__)"],
        env={**os.environ},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(found).parent == package.resolve()
