"""Figure of the UMAP table written by embed_umap: test beats by true and by predicted class.

Classes keep the order (and so the colours) of the predictions' class names.
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from _common import load_predictions, logged
from ecgbeats import plots
from ecgbeats.errors import InputError

with logged(snakemake):
    predictions = load_predictions(snakemake.input.predictions)
    class_names, n_test = predictions["class_names"], predictions["index"].size
    table = pd.read_csv(
        snakemake.input.table,
        sep="\t",
        dtype={"true_class": str, "predicted_class": str},
        keep_default_na=False,  # class names such as "N" or "NA" are not missing values
    )
    position = {name: c for c, name in enumerate(class_names)}
    unknown = sorted(set(table["true_class"]).union(table["predicted_class"]) - set(position))
    if unknown:
        raise InputError(
            f"{snakemake.input.table}: classes {unknown} are not among the classes "
            f"{class_names} of {snakemake.input.predictions} (inputs out of date?)"
        )
    y_true = table["true_class"].map(position).to_numpy(dtype=np.int64)
    y_pred = table["predicted_class"].map(position).to_numpy(dtype=np.int64)
    points = table[["umap_1", "umap_2"]].to_numpy(dtype=np.float64)

    layer = "last hidden layer" if snakemake.params.layer == "hidden" else "logits"
    figure = plots.umap_scatter(
        points,
        y_true,
        y_pred,
        class_names,
        f"UMAP of the CNN's {layer}: {snakemake.wildcards.task} classes, "
        f"{snakemake.wildcards.split}-patient test part ({len(table):,} of {n_test:,} beats)",
    )
    figure.savefig(snakemake.output.figure, dpi=150)
    plt.close(figure)
