"""Snakemake glue: a report table (TSV) as an HTML page, which the report shows inline."""

from pathlib import Path

import pandas as pd

from _common import logged
from ecgbeats import summary

with logged(snakemake) as log:
    # Class names such as "N" or "NA" are not missing values; only "NaN" is.
    table = pd.read_csv(snakemake.input[0], sep="\t", keep_default_na=False, na_values=["NaN"])
    Path(snakemake.output[0]).write_text(summary.table_html(table, snakemake.input[0]))
    log.info("%s: %d rows, %d columns", snakemake.input[0], *table.shape)
