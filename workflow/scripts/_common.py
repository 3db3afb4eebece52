"""Glue shared by the Snakemake scripts: logging into the rule's log file, threads, backends.

Only scripts import this module; the ``ecgbeats`` package never sees Snakemake objects.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Set before matplotlib, numba or torch are imported by the calling script.
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(tempfile.gettempdir()) / "ecgbeats-numba-cache"))


@contextmanager
def logged(snakemake) -> Iterator[logging.Logger]:  # noqa: ANN001 - Snakemake's script object
    """Send logging and uncaught errors of a script to the rule's log file (and stderr).

    The error message is written to the log before re-raising, so a failed job's log says why.
    """
    log_path = Path(snakemake.log[0]) if snakemake.log else None
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_path, mode="w"))
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
    logger = logging.getLogger(snakemake.rule)
    try:
        yield logger
    except Exception as error:
        logger.error("%s: %s", type(error).__name__, error)
        raise


def set_torch_threads(threads: int) -> None:
    """Use exactly the rule's threads for torch's intra-op pool (CPU runs)."""
    import torch

    torch.set_num_threads(max(1, int(threads)))


def load_predictions(path: str) -> dict:
    """Test predictions written by evaluate_model: index, y_true, y_pred, probabilities, names."""
    import numpy as np

    with np.load(path, allow_pickle=False) as predictions:
        return {
            "index": np.asarray(predictions["index"], dtype=np.int64),
            "y_true": np.asarray(predictions["y_true"], dtype=np.int64),
            "y_pred": np.asarray(predictions["y_pred"], dtype=np.int64),
            "probabilities": predictions["probabilities"],
            "class_names": [str(c) for c in predictions["class_names"]],
        }
