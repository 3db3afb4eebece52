"""Per-step conda envs: every rule names one, it parses, its pins equal requirements.txt, and it
holds every third-party package the rule's script imports (directly or through ecgbeats).

Conda channels are not reachable where the tests run, so envs are validated by parsing. At run
time a missing package would go unnoticed: Snakemake appends its own site-packages to a script's
sys.path, so the import analysis below is what catches an incomplete env.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
ENVS = REPO / "workflow" / "envs"
SCRIPTS = REPO / "workflow" / "scripts"
ENV_NAMES = ("data", "training", "umap", "shap", "plotting", "classify")
CONFIGS = ("config.yaml", "config/inter_patient.yaml", ".test/config.yaml")
# conda-forge names whose PyPI (requirements.txt) name differs beyond case and -/_/.
CONDA_TO_PYPI = {"pytorch": "torch", "matplotlib-base": "matplotlib"}
# Conda packages that are tooling, not pinned in requirements.txt.
UNPINNED_TOOLING = {"pip"}


def canonical(name: str) -> str:
    """PEP 503 name: case and runs of -_. do not matter (PyWavelets == pywavelets)."""
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def requirement_pins() -> dict[str, str]:
    pins = {}
    for line in (REPO / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        # `-e .`: the project itself (editable), not a pinned third-party package.
        if line and not line.startswith("-e "):
            name, _, version = line.partition("==")
            assert version, f"requirements.txt: {line!r} is not pinned with =="
            pins[canonical(name)] = version.strip()
    return pins


@dataclass(frozen=True)
class Spec:
    name: str  # canonical PyPI name
    version: str | None
    source: str  # the line as written


def parse_conda_spec(spec: str) -> Spec:
    match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*(?:={1,2}\s*([^\s=<>!,|*]+))?\s*", spec)
    assert match, f"unsupported conda spec {spec!r} (use name==version)"
    name = CONDA_TO_PYPI.get(match.group(1).lower(), match.group(1))
    return Spec(canonical(name), match.group(2), spec)


def parse_pip_spec(spec: str) -> Spec:
    match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*(?:==\s*([^\s]+))?\s*", spec)
    assert match, f"unsupported pip spec {spec!r} (use name==version)"
    return Spec(canonical(match.group(1)), match.group(2), spec)


@cache
def env_specs(env_file: Path) -> tuple[Spec, ...]:
    """Conda and pip specs of an env file; asserts its structure."""
    data = yaml.safe_load(env_file.read_text())
    assert isinstance(data, dict), f"{env_file.name}: not a mapping"
    assert "conda-forge" in data.get("channels", []), f"{env_file.name}: no conda-forge channel"
    assert "defaults" not in data["channels"], f"{env_file.name}: uses the defaults channel"
    specs = []
    for entry in data.get("dependencies", []):
        if isinstance(entry, dict):
            assert set(entry) == {"pip"}, f"{env_file.name}: unexpected entry {entry}"
            assert any(s.name == "pip" for s in specs), f"{env_file.name}: pip section, no pip"
            specs.extend(parse_pip_spec(s) for s in entry["pip"])
        else:
            specs.append(parse_conda_spec(str(entry)))
    names = [s.name for s in specs]
    assert len(names) == len(set(names)), f"{env_file.name}: a package is listed twice"
    return tuple(specs)


@pytest.mark.parametrize("name", ENV_NAMES)
def test_env_pins_equal_requirements(name: str) -> None:
    env_file = ENVS / f"{name}.yaml"
    assert env_file.is_file(), f"missing {env_file.relative_to(REPO)}"
    pins = requirement_pins()
    specs = env_specs(env_file)
    for spec in specs:
        if spec.name in UNPINNED_TOOLING:
            continue
        if spec.name == "python":
            assert spec.version, f"{name}.yaml: python is not pinned"
            continue
        assert spec.name in pins, f"{name}.yaml: {spec.source!r} is not in requirements.txt"
        assert spec.version == pins[spec.name], (
            f"{name}.yaml: {spec.source!r} but requirements.txt pins {pins[spec.name]}"
        )
    assert any(s.name == "python" for s in specs), f"{name}.yaml: python is not pinned"


def test_envs_share_one_python() -> None:
    """Scripts unpickle Snakemake objects: all envs use the same Python minor version."""
    versions = {
        spec.version
        for name in ENV_NAMES
        for spec in env_specs(ENVS / f"{name}.yaml")
        if spec.name == "python"
    }
    assert len(versions) == 1, f"envs pin different pythons: {sorted(versions)}"
    (version,) = versions
    requires = re.search(
        r'requires-python\s*=\s*">=\s*([\d.]+)"', (REPO / "pyproject.toml").read_text()
    )
    assert requires, "pyproject.toml has no requires-python"
    as_tuple = lambda v: tuple(int(x) for x in v.split("."))  # noqa: E731
    assert as_tuple(version) >= as_tuple(requires.group(1))


# --- the workflow's rules, parsed with Snakemake's own API -----------------------------------


LATER = "<evaluated per job>"  # a resource given as a function


@dataclass(frozen=True)
class RuleInfo:
    name: str
    conda: Path | None
    script: Path | None
    resources: dict
    block: str  # the rule's source text


def rule_block(snakefile: Path, name: str) -> str:
    """Source text of rule `name` in `snakefile` (up to the next top-level statement)."""
    lines = snakefile.read_text().splitlines()
    start = next(
        (i for i, line in enumerate(lines) if re.match(rf"(rule|checkpoint)\s+{name}\s*:", line)),
        None,
    )
    assert start is not None, f"rule {name} not found in {snakefile}"
    block = [lines[start]]
    for line in lines[start + 1 :]:
        if line and not line[0].isspace() and not line.startswith("#"):
            break
        block.append(line)
    return "\n".join(block)


@cache
def load_rules(configfile: str, overrides: str = "") -> tuple[RuleInfo, ...]:
    """Rules of the Snakefile under `configfile` (+ YAML `overrides` merged into it)."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import ConfigSettings, OutputSettings, ResourceSettings

    # Like `--configfile FILE --config ...`: both are merged into config.yaml recursively.
    settings = ConfigSettings(
        configfiles=[REPO / configfile], config=yaml.safe_load(overrides) or {}
    )
    with SnakemakeApi(OutputSettings(quiet={"all"})) as api:
        workflow_api = api.workflow(
            resource_settings=ResourceSettings(),
            config_settings=settings,
            snakefile=REPO / "Snakefile",
            workdir=REPO,
        )
        # The public API lists rule names only; the pinned Snakemake's Workflow object has
        # each rule's directives. `_workflow` is stable across Snakemake 8 and 9.
        workflow = workflow_api._workflow
        rules = []
        for rule in workflow.rules:
            basedir = Path(rule.basedir)
            conda = (basedir / rule.conda_env).resolve() if rule.conda_env else None
            script = (basedir / rule.script).resolve() if rule.script else None
            resources = {
                key: LATER if resource.is_evaluable() else resource.value
                for key, resource in rule.resources.items()
            }
            block = rule_block(Path(rule.snakefile), rule.name)
            rules.append(RuleInfo(rule.name, conda, script, resources, block))
    return tuple(rules)


def job_rules(configfile: str = "config.yaml") -> list[RuleInfo]:
    """Rules that run something (everything but target-only rules like `all`)."""
    return [
        r for r in load_rules(configfile) if r.script or "shell:" in r.block or "run:" in r.block
    ]


@pytest.mark.parametrize("configfile", CONFIGS)
def test_every_rule_uses_a_pinned_env(configfile: str) -> None:
    if not (REPO / configfile).is_file():
        pytest.skip(f"{configfile} does not exist")
    rules = job_rules(configfile)
    assert len(rules) >= 5, "the workflow parsed to almost no rules"
    for rule in rules:
        assert rule.conda is not None, f"rule {rule.name} has no conda directive"
        assert rule.conda.parent == ENVS.resolve(), f"rule {rule.name}: env outside workflow/envs"
        assert rule.conda.stem in ENV_NAMES, f"rule {rule.name}: unknown env {rule.conda.name}"
        assert rule.conda.is_file(), f"rule {rule.name}: {rule.conda} does not exist"
        env_specs(rule.conda)  # parses


def test_every_rule_declares_threads_and_resources() -> None:
    for rule in job_rules():
        assert re.search(r"^\s+threads:", rule.block, re.M), f"rule {rule.name}: no threads"
        for key in ("mem_mb", "runtime"):
            value = rule.resources.get(key)
            assert value is not None, f"rule {rule.name}: no resources.{key}"
            if value is not LATER:
                assert int(value) > 0, f"rule {rule.name}: resources.{key}={value}"


# --- imports of a rule's script versus its env ----------------------------------------------

LOCAL_TOP = {"ecgbeats"}


def module_file(module: str) -> Path:
    path = SCRIPTS.joinpath(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def absolute(module: str | None, level: int, current: str) -> str:
    """Absolute name of a (possibly relative) import made in module `current`."""
    if not level:
        return module or ""
    parts = current.split(".")
    if module_file(current).name != "__init__.py":
        parts = parts[:-1]  # a plain module's package
    parts = parts[: len(parts) - (level - 1)]
    return ".".join([*parts, module] if module else parts)


DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def imports_in(nodes: list[ast.AST], deep: bool) -> list[ast.Import | ast.ImportFrom]:
    """Import statements among `nodes`; inside def/class bodies only when `deep`."""
    found: list[ast.Import | ast.ImportFrom] = []
    for node in nodes:
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        elif isinstance(node, DEFS) and not deep:
            continue
        else:
            found.extend(imports_in(list(ast.iter_child_nodes(node)), deep))
    return found


def module_imports(path: Path, member: str | None) -> list[ast.Import | ast.ImportFrom]:
    """Imports that run when `member` of the module at `path` is used (None: all of it)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    if member is None:
        return imports_in(tree.body, deep=True)
    stmts = imports_in(tree.body, deep=False)
    for node in tree.body:
        if isinstance(node, DEFS) and node.name == member:
            stmts += imports_in(node.body, deep=True)
    return stmts


def third_party_imports(script: Path) -> dict[str, str]:
    """Top-level third-party modules a script needs -> where the import is.

    The script counts in full; a local module (ecgbeats) counts with its module-level
    imports plus those inside the functions/classes the importer takes from it, so a lazy
    `import torch` in a helper only counts for scripts that use that helper.
    """
    needed: dict[str, str] = {}
    seen: set[tuple[str, str | None]] = set()
    queue: list[tuple[Path, str, str | None]] = [(script, "__main__", None)]
    while queue:
        path, module, member = queue.pop()
        if (module, member) in seen:
            continue
        seen.add((module, member))
        for stmt in module_imports(path, member):
            shown = path.relative_to(REPO) if path.is_relative_to(REPO) else path.name
            where = f"{shown}:{stmt.lineno}"
            targets: list[tuple[str, str | None]] = []
            if isinstance(stmt, ast.Import):
                targets = [(alias.name, None) for alias in stmt.names]
            else:
                base = absolute(stmt.module, stmt.level, module)
                if base == "__future__":
                    continue
                for alias in stmt.names:
                    submodule = f"{base}.{alias.name}"
                    if base.split(".")[0] in LOCAL_TOP and module_file(submodule).is_file():
                        targets.append((submodule, None))
                    else:
                        targets.append((base, alias.name))
            for target, name in targets:
                top = target.split(".")[0]
                if top in LOCAL_TOP:
                    parts = target.split(".")
                    for i in range(1, len(parts)):  # parent packages' __init__ run first
                        package = ".".join(parts[:i])
                        queue.append((module_file(package), package, "__init__"))
                    queue.append((module_file(target), target, name))
                elif top not in sys.stdlib_module_names:
                    needed.setdefault(top, where)
    return needed


@cache
def import_to_distribution() -> dict[str, str]:
    mapping = importlib.metadata.packages_distributions()
    return {module: canonical(dists[0]) for module, dists in mapping.items()}


def test_import_analysis_sees_lazy_and_transitive_imports(tmp_path: Path) -> None:
    """The analysis itself: ecgbeats.runtime alone needs nothing (its torch import sits inside
    set_torch_threads), using set_torch_threads needs torch, nested imports count."""
    script = tmp_path / "probe.py"
    script.write_text(
        "from ecgbeats.runtime import logged\nfrom ecgbeats.errors import InputError\n"
    )
    assert set(third_party_imports(script)) == set()
    script.write_text(
        "from ecgbeats.runtime import logged, set_torch_threads\n"
        "def main():\n    import pandas as pd\n    from sklearn.metrics import f1_score\n"
    )
    assert set(third_party_imports(script)) == {"torch", "pandas", "sklearn"}


def test_every_env_holds_its_scripts_imports() -> None:
    mapping = import_to_distribution()
    problems = []
    for rule in job_rules():
        if rule.script is None or rule.conda is None:
            continue
        in_env = {s.name for s in env_specs(rule.conda)}
        for module, where in sorted(third_party_imports(rule.script).items()):
            distribution = mapping.get(module)
            if distribution is None:
                problems.append(f"rule {rule.name}: unknown module {module!r} ({where})")
            elif distribution not in in_env:
                problems.append(
                    f"rule {rule.name}: {module!r} ({where}) needs {distribution}, "
                    f"missing from {rule.conda.name}"
                )
    assert not problems, "\n".join(problems)


# --- GPU request of the training rule --------------------------------------------------------


def requests_gpu(rule: RuleInfo) -> bool:
    gpu = rule.resources.get("gpu") or 0
    gres = str(rule.resources.get("gres") or "")
    assert LATER not in (gpu, gres), f"rule {rule.name}: set gpu/gres from config at parse time"
    return int(gpu) >= 1 or "gpu" in gres


@pytest.mark.parametrize(
    ("device", "expected"), [("cuda", True), ("cuda:1", True), ("cpu", False), ("auto", False)]
)
def test_training_requests_a_gpu_only_for_cuda(device: str, expected: bool) -> None:
    """On SLURM a GPU must be requested (gpu resource -> --gpus); `auto` must not block a job
    on CPU-only clusters by asking for one."""
    rules = {r.name: r for r in load_rules("config.yaml", f"train: {{device: '{device}'}}")}
    assert "train_model" in rules, "the workflow has no train_model rule"
    assert requests_gpu(rules["train_model"]) is expected, rules["train_model"].resources
