"""Snakemake glue: per-record beat counts (lead used, kept beats, edge drops per symbol)."""

import numpy as np
import pandas as pd

from _common import logged

with logged(snakemake) as log:
    rows = []
    for path in snakemake.input.beats:
        with np.load(path) as data:
            kept = pd.Series(data["symbols"]).value_counts()
            dropped = pd.Series(data["dropped_symbols"]).value_counts()
            row = {
                "record": str(data["record"]),
                "lead": str(data["lead"]),
                "beats": int(data["beats"].shape[0]),
                "edge_drops": int(data["edge_drops"]),
            }
            for symbol in sorted(set(kept.index) | set(dropped.index)):
                row[f"kept {symbol}"] = int(kept.get(symbol, 0))
                row[f"dropped {symbol}"] = int(dropped.get(symbol, 0))
            rows.append(row)
    table = pd.DataFrame(rows).fillna(0)
    count_columns = [c for c in table.columns if c.startswith(("kept ", "dropped "))]
    table[count_columns] = table[count_columns].astype(int)
    table = table[["record", "lead", "beats", "edge_drops", *sorted(count_columns)]]
    table.to_csv(snakemake.output.table, sep="\t", index=False)
    log.info(
        "%d records, %d beats, %d edge drops", len(table), table.beats.sum(), table.edge_drops.sum()
    )
