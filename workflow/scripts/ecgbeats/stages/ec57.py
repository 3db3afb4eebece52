"""Rule ec57_table: AAMI EC57 statistics of a model on its test part, beside published results.

EC57 (and every inter-patient paper since de Chazal et al. 2004) reports per class the
sensitivity Se, the positive predictivity +P and the false positive rate, and the gross accuracy.
Published DS2 results (workflow/resources/published_ds2.tsv) are added below ours only where
they measure the same thing: AAMI classes on the inter-patient split.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ecgbeats import metrics
from ecgbeats.artifacts import PREDICTIONS, class_names, write_table
from ecgbeats.table_views import write_table_view

logger = logging.getLogger(__name__)


def ec57_table(
    predictions: str | Path, table: str | Path, published: Sequence[str | Path] = ()
) -> pd.DataFrame:
    """Write our EC57 rows (source ``this run``) and the rows of the `published` tables (none,
    or workflow/resources/published_ds2.tsv; only the classes our model has) to the TSV `table`
    and its HTML view."""
    saved = PREDICTIONS.load(predictions)
    names = class_names(saved)
    result = metrics.ec57_table(saved["y_true"], saved["y_pred"], names, source="this run")
    for path in published:
        # Empty cells (values not verified in the paper) read as NaN.
        others = metrics.published_ec57(pd.read_csv(path, sep="\t", comment="#"))
        others = others[others["class"].isin([*names, "gross"])]
        result = pd.concat([result, others], ignore_index=True)
    result["support"] = result["support"].astype("Int64")  # a count; empty for published rows
    write_table(table, result, float_format="%.4f")
    write_table_view(table)
    ours = result[result["source"] == "this run"]
    logger.info("EC57 statistics:\n%s", ours.to_string(index=False))
    return result
