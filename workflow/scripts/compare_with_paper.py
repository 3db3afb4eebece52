"""Put our test metrics next to the paper's table with the differences (ours minus paper)."""

import pandas as pd

from _common import logged
from ecgbeats import metrics

with logged(snakemake) as log:
    ours = pd.read_csv(
        snakemake.input.metrics,
        sep="\t",
        dtype={"class": str},
        keep_default_na=False,  # class names such as "N" or "NA" are not missing values
        na_values=["NaN"],
    )
    paper = metrics.read_paper_table(snakemake.input.paper)
    comparison = metrics.compare_with_paper(ours, paper)
    comparison.to_csv(snakemake.output[0], sep="\t", index=False, na_rep="NaN", float_format="%.4f")
    reported = int(comparison.filter(like="_paper").notna().to_numpy().sum())
    log.info("%d paper values compared; table:\n%s", reported, comparison.to_string(index=False))
