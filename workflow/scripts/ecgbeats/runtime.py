"""What every stage needs around it when a workflow rule runs it: the rule's log file, threads,
and its files and settings passed by name.

Scripts (workflow/scripts/*.py) are one call, ``run_rule(snakemake, stage)``: it matches the
rule's named inputs, outputs, params and wildcards to the parameters of one stage function
(ecgbeats.stages) and calls it inside :func:`logged`. Only this module sees Snakemake's object.
Light on purpose (no numpy, pandas or torch at import): every script imports it.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
import os
import sys
import tempfile
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# Set before matplotlib, numba or torch are imported by a stage.
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(tempfile.gettempdir()) / "ecgbeats-numba-cache"))


@contextmanager
def logged(
    log_files: Sequence[str | Path], name: str, threads: int | None = None
) -> Iterator[logging.Logger]:
    """Send logging and an uncaught error to the first of `log_files` (and stderr).

    The error is written to the log before it propagates, so a failed job's log says why.
    With `threads`, torch's intra-op pool gets exactly that many (the rule's `threads`).
    """
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_files:
        log_path = Path(log_files[0])
        log_path.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_path, mode="w"))
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
    logger = logging.getLogger(name)
    if threads is not None:
        set_torch_threads(threads)
    try:
        yield logger
    except Exception as error:
        logger.error("%s: %s", type(error).__name__, error)
        raise


def set_torch_threads(threads: int) -> None:
    """Use exactly `threads` for torch's intra-op pool (CPU runs)."""
    import torch

    torch.set_num_threads(max(1, int(threads)))


class RuleArgumentError(TypeError):
    """A rule and its stage function disagree on names; the message names both and the name."""


#: Where a stage's arguments come from, in this order (after those the script gives).
SOURCES = ("input", "output", "params", "wildcards")
_SOURCE_WORDS = {"input": "input", "output": "output", "params": "param", "wildcards": "wildcard"}
#: Named inputs that are never passed: the rule's library sources (they only trigger reruns).
NOT_PASSED = frozenset({"library"})


def run_rule(rule: Any, stage: Callable[..., Any], *, threads: bool = False, **given: Any) -> Any:
    """Call `stage` for the rule of `rule` (a script's ``snakemake`` object) inside
    :func:`logged` (the rule's log; with `threads`, torch gets the rule's threads).

    Each parameter of `stage` is filled by name from, in this order: `given` (which wins), the
    rule's named inputs (not ``library``), named outputs, params and wildcards. A parameter
    annotated with an options dataclass (or a union of them) whose value is a mapping gets
    ``cls(**value)``. Refused (:class:`RuleArgumentError`, naming the rule and the name): a
    required parameter no source gives; a name two of the rule's sources give; a named input or
    output the stage does not take, or a `given` one. Params and wildcards the stage does not
    take are fine (e.g. digests that only rerun the rule). Returns what `stage` returns.
    """
    with logged(rule.log, rule.rule, threads=rule.threads if threads else None):
        return stage(**stage_arguments(rule, stage, given))


def stage_arguments(rule: Any, stage: Callable[..., Any], given: Mapping[str, Any]) -> dict:
    """The keyword arguments :func:`run_rule` calls `stage` with (see there)."""
    where = f"rule {rule.rule}: stage {stage.__module__}.{stage.__qualname__}"
    parameters = inspect.signature(stage).parameters
    takes = {
        name
        for name, parameter in parameters.items()
        if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)
    }
    open_ended = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
    for name in given:
        if name not in takes and not open_ended:
            raise RuleArgumentError(f"{where} takes no parameter {name!r} (given by the script)")
    found: dict[str, str] = {}  # parameter -> the source that gives it
    arguments = dict(given)
    for source in SOURCES:
        for name, value in _named_items(getattr(rule, source)):
            what = f"{_SOURCE_WORDS[source]} {name!r}"
            if name in given or (source == "input" and name in NOT_PASSED):
                continue
            if name not in takes and not open_ended:
                if source in ("input", "output"):
                    raise RuleArgumentError(
                        f"{where} takes no parameter {name!r}, so the rule's {what} would be "
                        "ignored (rename one of them, or list a file the stage does not take "
                        "unnamed)"
                    )
                continue
            if name in found:
                raise RuleArgumentError(
                    f"{where}: parameter {name!r} is ambiguous: the rule's "
                    f"{_SOURCE_WORDS[found[name]]} {name!r} and its {what} both give it"
                )
            found[name] = source
            arguments[name] = value
    missing = [
        name
        for name, parameter in parameters.items()
        if name in takes and parameter.default is parameter.empty and name not in arguments
    ]
    if missing:
        raise RuleArgumentError(
            f"{where} needs parameter(s) {', '.join(map(repr, missing))}, which no named input, "
            "output, param or wildcard of the rule gives"
        )
    try:
        hints = typing.get_type_hints(stage)
    except NameError as error:  # a name the stage module imports only for type checking
        raise RuleArgumentError(f"{where}: its annotations do not resolve ({error})") from error
    return {
        name: _built(value, hints.get(name), f"{where}, parameter {name!r}")
        for name, value in arguments.items()
    }


def _named_items(names: Any) -> Iterable[tuple[str, Any]]:
    """(name, value) of a Snakemake Namedlist (its named entries), or of a plain namespace."""
    if names is None:
        return ()
    if hasattr(names, "items"):
        return list(names.items())
    return list(vars(names).items())


def _option_classes(hint: Any) -> list[type]:
    """The dataclasses `hint` names: itself, or the members of a union."""
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return [hint]
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        members = typing.get_args(hint)
        return [c for c in members if isinstance(c, type) and dataclasses.is_dataclass(c)]
    return []


def _accepts(cls: type, keys: set[str]) -> bool:
    """Whether the dataclass `cls` takes exactly these keyword arguments (all it requires)."""
    fields = [f for f in dataclasses.fields(cls) if f.init]
    required = {
        f.name
        for f in fields
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    return required <= keys <= {f.name for f in fields}


def _built(value: Any, hint: Any, where: str) -> Any:
    """`value`, or the options dataclass that `hint` names built from the mapping `value`."""
    classes = _option_classes(hint)
    if not classes or not isinstance(value, Mapping):
        return value
    if len(classes) > 1:
        fitting = [cls for cls in classes if _accepts(cls, set(value))]
        if len(fitting) != 1:
            names = ", ".join(cls.__name__ for cls in classes)
            raise RuleArgumentError(
                f"{where}: the keys {sorted(value)} fit {len(fitting)} of its option classes "
                f"({names}), not exactly one"
            )
        classes = fitting
    try:
        return classes[0](**value)
    except TypeError as error:
        raise RuleArgumentError(f"{where} ({classes[0].__name__}): {error}") from error
