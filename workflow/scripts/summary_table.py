"""Snakemake glue: every task's test metrics beside the paper's (the report's summary table)."""

import pandas as pd

from _common import logged
from ecgbeats import summary


def read_table(path: str) -> pd.DataFrame:
    # Class names such as "N" or "NA" are not missing values; only "NaN" is.
    return pd.read_csv(
        path, sep="\t", dtype={"class": str}, keep_default_na=False, na_values=["NaN"]
    )


with logged(snakemake) as log:
    tasks = list(snakemake.params.tasks)
    metrics = dict(zip(tasks, map(read_table, snakemake.input.metrics), strict=True))
    comparisons = {
        task: read_table(path)
        for task, path in zip(
            snakemake.params.paper_tasks, snakemake.input.comparisons, strict=True
        )
    }
    table = summary.summary_table(metrics, comparisons)
    table.to_csv(snakemake.output.table, sep="\t", index=False, na_rep="NaN", float_format="%.4f")
    log.info("summary of task(s) %s:\n%s", ", ".join(tasks), table.to_string(index=False))
