"""What every stage needs around it when a workflow rule runs it: the rule's log file, threads.

Scripts (workflow/scripts/*.py) only unpack Snakemake's object and call one stage function
(ecgbeats.stages) inside :func:`logged`; nothing in the package sees Snakemake objects.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

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
