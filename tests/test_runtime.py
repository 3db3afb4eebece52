"""ecgbeats.runtime.run_rule: a rule's named files, params and wildcards passed to its stage by
name; every script is that one call, and every rule's names are its stage's parameters.

The rules are read as text (no Snakemake internals) and the stage functions through their source
(ast), so these checks import neither torch nor the stages.
"""

from __future__ import annotations

import ast
import logging
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from ecgbeats import runtime
from ecgbeats.runtime import RuleArgumentError, run_rule

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = REPO / "workflow" / "scripts"
RULE_FILES = sorted((REPO / "workflow" / "rules").glob("*.smk"))


class Named(SimpleNamespace):
    """Like Snakemake's Namedlist for run_rule: attributes, and `.items()` of the named ones."""

    def items(self) -> list[tuple[str, Any]]:
        return list(vars(self).items())


def fake_rule(
    tmp_path: Path,
    *,
    name: str = "some_rule",
    threads: int = 3,
    input: dict | None = None,  # noqa: A002 (Snakemake's name)
    output: dict | None = None,
    params: dict | None = None,
    wildcards: dict | None = None,
) -> SimpleNamespace:
    """A stand-in for a script's `snakemake` object."""
    return SimpleNamespace(
        rule=name,
        threads=threads,
        log=[str(tmp_path / "logs" / f"{name}.log")],
        input=Named(**(input or {})),
        output=Named(**(output or {})),
        params=Named(**(params or {})),
        wildcards=Named(**(wildcards or {})),
    )


@dataclass(frozen=True)
class WindowOptions:
    before: int
    after: int


@dataclass(frozen=True)
class NearOptions:
    distance: float
    seed: int


@dataclass(frozen=True)
class FarOptions:
    records: tuple[str, ...]
    seed: int
    label: str = "far"


def stage(
    beats: list[str],
    table: str,
    *,
    window: WindowOptions,
    task: str,
    note: str = "default",
) -> dict[str, Any]:
    """A stage that returns what it was called with."""
    return {"beats": beats, "table": table, "window": window, "task": task, "note": note}


def split_stage(parts: str, options: NearOptions | FarOptions) -> NearOptions | FarOptions:
    return options


def complete_rule(tmp_path: Path, name: str = "some_rule", **changes: dict) -> SimpleNamespace:
    """A fake rule whose names fit `stage`, with a library input and an unused param; `changes`
    add names to a source (None: remove that name)."""
    sources = {
        "input": {"beats": ["a.npz", "b.npz"], "library": ["ecgbeats/x.py"]},
        "output": {"table": "t.tsv"},
        "params": {"window": {"before": 90, "after": 110}, "digests": {"a.dat": "0f"}},
        "wildcards": {"task": "six"},
    }
    for source, values in changes.items():
        merged = {**sources[source], **values}
        sources[source] = {key: value for key, value in merged.items() if value is not None}
    return fake_rule(tmp_path, name=name, **sources)


def test_arguments_are_matched_by_name(tmp_path: Path) -> None:
    called = run_rule(complete_rule(tmp_path), stage)
    assert called == {
        "beats": ["a.npz", "b.npz"],
        "table": "t.tsv",
        "window": WindowOptions(before=90, after=110),
        "task": "six",
        "note": "default",
    }


def test_a_param_gives_an_optional_parameter_and_unused_params_are_fine(tmp_path: Path) -> None:
    called = run_rule(complete_rule(tmp_path, params={"note": "given", "extra": 1}), stage)
    assert called["note"] == "given"


def test_options_dataclasses_are_built_from_mappings(tmp_path: Path) -> None:
    # An options object that is already built passes unchanged.
    built = WindowOptions(before=1, after=2)
    assert run_rule(complete_rule(tmp_path, params={"window": built}), stage)["window"] is built
    # A union of option classes: the one whose fields are the mapping's keys.
    near = fake_rule(tmp_path, input={"parts": "p"}, params={"options": {"distance": 1, "seed": 2}})
    assert run_rule(near, split_stage) == NearOptions(distance=1, seed=2)
    far = fake_rule(tmp_path, input={"parts": "p"}, params={"options": {"records": (), "seed": 2}})
    assert run_rule(far, split_stage) == FarOptions(records=(), seed=2)
    both = fake_rule(tmp_path, name="split_it", input={"parts": "p"}, params={"options": {}})
    with pytest.raises(RuleArgumentError, match=r"rule split_it: .*'options'.* fit 0"):
        run_rule(both, split_stage)


def test_a_wrong_options_mapping_names_the_rule_and_parameter(tmp_path: Path) -> None:
    rule = complete_rule(tmp_path, params={"window": {"before": 90, "afterwards": 110}})
    with pytest.raises(RuleArgumentError, match=r"rule some_rule: .*'window' \(WindowOptions\)"):
        run_rule(rule, stage)


def test_given_arguments_win_over_the_rule(tmp_path: Path) -> None:
    # No ambiguity either: the script's value replaces every source of that name.
    rule = complete_rule(tmp_path, params={"task": "ten"})
    called = run_rule(rule, stage, task="given", table="other.tsv")
    assert called["task"] == "given" and called["table"] == "other.tsv"
    with pytest.raises(RuleArgumentError, match=r"rule some_rule: .* no parameter 'nothing'"):
        run_rule(rule, stage, nothing=1)


def test_the_library_input_is_never_passed(tmp_path: Path) -> None:
    def takes_library(library: list[str] | None = None) -> list[str] | None:
        return library

    rule = fake_rule(tmp_path, input={"library": ["ecgbeats/x.py"]})
    assert run_rule(rule, takes_library) is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"wildcards": {"task": None}}, r"needs parameter\(s\) 'task', which no named input"),
        ({"params": {"task": "ten"}}, r"'task' is ambiguous: the rule's param 'task' and its "),
        ({"output": {"beats": "b"}}, r"'beats' is ambiguous: the rule's input 'beats' and its "),
        ({"input": {"counts": "c.tsv"}}, r"no parameter 'counts', so the rule's input 'counts'"),
        ({"output": {"tables": "t.tsv"}}, r"no parameter 'tables', so the rule's output 'tables"),
    ],
    ids=["missing", "ambiguous", "ambiguous-files", "unconsumed-input", "unconsumed-output"],
)
def test_mismatches_name_the_rule_and_the_parameter(
    tmp_path: Path, changes: dict, message: str
) -> None:
    rule = complete_rule(tmp_path, name="build_it", **changes)
    with pytest.raises(RuleArgumentError, match=rf"^rule build_it: stage .*\.stage.*{message}"):
        run_rule(rule, stage)
    # Raised inside the rule's log: a failed job's log says why.
    assert "RuleArgumentError" in (tmp_path / "logs" / "build_it.log").read_text()


def test_the_missing_names_are_all_listed(tmp_path: Path) -> None:
    with pytest.raises(RuleArgumentError, match=r"'beats', 'table', 'window', 'task'"):
        run_rule(fake_rule(tmp_path, name="empty"), stage)


def test_threads_reach_torch_only_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[int] = []
    monkeypatch.setattr(runtime, "set_torch_threads", asked.append)
    run_rule(complete_rule(tmp_path), stage)
    assert asked == []
    run_rule(complete_rule(tmp_path), stage, threads=True)
    assert asked == [3]


def test_the_stage_logs_into_the_rules_log(tmp_path: Path) -> None:
    def logs(message: str) -> None:
        logging.getLogger("ecgbeats.test").info("%s", message)

    run_rule(fake_rule(tmp_path, name="talk", params={"message": "hello there"}), logs)
    assert "hello there" in (tmp_path / "logs" / "talk.log").read_text()


def test_the_runtime_module_stays_light() -> None:
    code = (
        "import sys, ecgbeats.runtime\n"
        "heavy = {'numpy', 'pandas', 'torch', 'matplotlib'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=SCRIPTS)


# --- the scripts and the rules ---------------------------------------------------------------


def script_stage(script: Path) -> tuple[str, str]:
    """(stage module, stage function) of a script, asserting its three-statement form:
    the docstring, ``from ecgbeats.runtime import run_rule``, the stage's import, one call
    ``run_rule(snakemake, stage)`` (``threads=True`` allowed)."""
    tree = ast.parse(script.read_text())
    shape = [type(node).__name__ for node in tree.body]
    assert shape == ["Expr", "ImportFrom", "ImportFrom", "Expr"], f"{script.name}: {shape}"
    doc, runtime_import, stage_import, call = tree.body
    assert ast.unparse(runtime_import) == "from ecgbeats.runtime import run_rule", script.name
    module = stage_import.module or ""
    assert re.fullmatch(r"ecgbeats\.stages\.\w+", module), f"{script.name}: imports {module}"
    assert len(stage_import.names) == 1 and stage_import.names[0].asname is None, script.name
    function = stage_import.names[0].name
    assert ast.get_docstring(tree) == f"Rule {script.stem}: {module}.{function}.", script.name
    expected = {
        f"run_rule(snakemake, {function})",
        f"run_rule(snakemake, {function}, threads=True)",
    }
    assert ast.unparse(call) in expected, f"{script.name}: {ast.unparse(call)}"
    return module, function


def stage_parameters(module: str, function: str) -> tuple[set[str], set[str]]:
    """(all, required) parameter names of a stage function, read from its source."""
    source = SCRIPTS.joinpath(*module.split(".")).with_suffix(".py")
    for node in ast.parse(source.read_text()).body:
        if isinstance(node, ast.FunctionDef) and node.name == function:
            args = node.args
            positional = args.posonlyargs + args.args
            with_default = positional[len(positional) - len(args.defaults) :]
            required = {a.arg for a in positional if a not in with_default}
            required |= {
                a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None
            }
            return {a.arg for a in positional + args.kwonlyargs}, required
    raise AssertionError(f"{source}: no function {function}")


RULE = re.compile(r"^rule (\w+):\n((?:[ \t]+.*\n|\n)*)", re.MULTILINE)
DIRECTIVE = re.compile(r"^    (\w+):", re.MULTILINE)
NAMED = re.compile(r"^        (\w+)=", re.MULTILINE)


@dataclass(frozen=True)
class RuleNames:
    script: str | None
    sections: dict[str, str]  # directive -> its text

    def named(self, directive: str) -> set[str]:
        return set(NAMED.findall(self.sections.get(directive, "")))

    def wildcards(self) -> set[str]:
        """Every {name} of the output paths (a superset: f-string fields count too)."""
        return set(re.findall(r"\{+(\w+)\}+", self.sections.get("output", "")))


def rules_of(rule_files: list[Path] = RULE_FILES) -> dict[str, RuleNames]:
    rules = {}
    for smk in rule_files:
        for match in RULE.finditer(smk.read_text()):
            body = match.group(2)
            directives = list(DIRECTIVE.finditer(body))
            sections = {
                d.group(1): body[d.end() : nxt.start() if nxt else len(body)]
                for d, nxt in zip(directives, [*directives[1:], None], strict=True)
            }
            script = re.search(r'"\.\./scripts/(\w+)\.py"', sections.get("script", ""))
            rules[match.group(1)] = RuleNames(script and script.group(1), sections)
    return rules


def test_the_rule_files_are_read() -> None:
    rules = rules_of()
    assert {"build_dataset", "train_model", "classify_record", "download_record"} <= set(rules)
    assert rules["train_model"].named("input") == {
        "dataset",
        "split_file",
        "extra_datasets",
        "library",
    }
    assert rules["train_model"].named("params") == {
        "balancing",
        "network",
        "training",
        "prematurity",
    }
    assert {"split", "task"} <= rules["train_model"].wildcards()


SCRIPT_FILES = sorted(SCRIPTS.glob("*.py"))


@pytest.mark.parametrize("script", SCRIPT_FILES, ids=[s.stem for s in SCRIPT_FILES])
def test_every_script_is_one_run_rule_call(script: Path) -> None:
    script_stage(script)


def test_every_script_has_its_rule() -> None:
    scripts = {rule.script for rule in rules_of().values() if rule.script}
    assert scripts == {s.stem for s in SCRIPT_FILES}


@pytest.mark.parametrize("rule", sorted(n for n, r in rules_of().items() if r.script))
def test_every_rules_names_are_its_stages_parameters(rule: str) -> None:
    """Named inputs and outputs (but `library`) are stage parameters; every required parameter
    has a source; no parameter has two (what run_rule checks when the job runs)."""
    names = rules_of()[rule]
    assert names.script == rule, f"rule {rule} runs script {names.script}.py"
    module, function = script_stage(SCRIPTS / f"{rule}.py")
    takes, required = stage_parameters(module, function)
    files = (names.named("input") - {"library"}) | names.named("output")
    assert files <= takes, f"rule {rule}: {sorted(files - takes)} not parameters of {function}"
    sources = [names.named(d) for d in ("input", "output", "params")] + [names.wildcards()]
    for name in takes:
        giving = sum(name in source for source in sources)
        assert giving <= 1, f"rule {rule}: {name!r} is given by {giving} sources"
    if "unpack(" not in names.sections["input"]:  # names from a function: checked at run time
        given = set().union(*sources)
        assert required <= given, f"rule {rule}: nothing gives {sorted(required - given)}"
