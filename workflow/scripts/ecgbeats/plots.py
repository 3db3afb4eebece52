"""Figures of the workflow. Each function takes arrays and returns a matplotlib Figure.

Callers save and close the figure (:func:`save`); nothing here reads files or config.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

# Okabe-Ito colour-blind-safe palette, extended with dark grey and two more distinct hues.
CLASS_COLOURS = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
    "#7F7F7F",
    "#882255",
)


def class_colour(index: int) -> str:
    return CLASS_COLOURS[index % len(CLASS_COLOURS)]


def save(figure: Figure, path: str | Path, dpi: int = 150) -> None:
    """Write `figure` to `path` (format from its suffix) and close it."""
    try:
        figure.savefig(path, dpi=dpi)
    finally:
        plt.close(figure)


def class_distribution(names: Sequence[str], counts: np.ndarray, title: str) -> Figure:
    """Bar chart of beats per class with counts on the bars (the paper's Figure 1)."""
    figure, axis = plt.subplots(figsize=(max(5.0, 0.8 * len(names) + 2), 3.8), layout="constrained")
    bars = axis.bar(names, counts, color=[class_colour(i) for i in range(len(names))])
    axis.bar_label(bars, labels=[f"{int(c):,}" for c in counts], fontsize=8)
    axis.set_yscale("log")
    axis.set_ylabel("beats (log scale)")
    axis.set_title(title)
    axis.margins(y=0.15)
    return figure


def denoising_comparison(
    time_s: np.ndarray, raw: np.ndarray, clean: np.ndarray, title: str, unit: str = "mV"
) -> Figure:
    """Raw lead and its wavelet-denoised version, overlaid and one below the other."""
    figure, axes = plt.subplots(2, 1, figsize=(10, 5), sharex=True, layout="constrained")
    axes[0].plot(time_s, raw, color="0.45", linewidth=0.8, label="raw")
    axes[0].plot(time_s, clean, color="#0072B2", linewidth=0.9, label="denoised")
    axes[0].legend(loc="upper right", fontsize=8)
    axes[0].set_ylabel(unit)
    axes[0].set_title(title)
    axes[1].plot(time_s, raw - clean, color="#D55E00", linewidth=0.7)
    axes[1].set_ylabel(f"removed ({unit})")
    axes[1].set_xlabel("time (s)")
    return figure


# --- evaluation: confusion matrix, ROC / PR curves, training curves ---------------------------


def confusion_matrix_panels(
    counts: np.ndarray, normalised: np.ndarray, class_names: Sequence[str], title: str
) -> Figure:
    """Counts and row-normalised confusion matrix side by side (true class in rows).

    Both panels are coloured by the row-normalised value: coloured by counts, every class but
    the majority one would look empty. Rows of classes absent from the part show dashes.
    """
    k = len(class_names)
    size = max(4.0, 0.55 * k + 2.0)
    figure, axes = plt.subplots(1, 2, figsize=(2 * size + 1.5, size), layout="constrained")
    shade = np.ma.masked_invalid(np.asarray(normalised, dtype=float))
    panels = (
        (counts, "counts", lambda v: f"{int(v):,}"),
        (normalised, "row-normalised (recall on the diagonal)", lambda v: f"{v:.2f}"),
    )
    image = None
    for axis, (matrix, name, fmt) in zip(axes, panels, strict=True):
        image = axis.imshow(shade, cmap="Blues", vmin=0.0, vmax=1.0)
        for i in range(k):
            for j in range(k):
                absent = np.ma.is_masked(shade[i, j])
                dark = not absent and shade[i, j] > 0.6
                axis.text(
                    j,
                    i,
                    "-" if absent else fmt(matrix[i, j]),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if dark else "black",
                )
        axis.set_xticks(range(k), class_names, rotation=45, ha="right")
        axis.set_yticks(range(k), class_names)
        axis.set_xlabel("predicted class")
        axis.set_ylabel("true class")
        axis.set_title(name, fontsize=10)
    figure.colorbar(image, ax=axes, shrink=0.8, label="fraction of the true class")
    figure.suptitle(title)
    return figure


#: Per class an (x, y) curve, or None for a class without one.
ClassCurves = Sequence[tuple[np.ndarray, np.ndarray] | None]


def roc_curves(curves: ClassCurves, auc: np.ndarray, names: Sequence[str], title: str) -> Figure:
    """One-vs-rest ROC curve per class (fpr, tpr); classes without a curve are listed as n/a."""
    figure, (full, zoom) = plt.subplots(1, 2, figsize=(11, 4.8), layout="constrained")
    for c, curve in enumerate(curves):
        if curve is None:
            full.plot([], [], color=class_colour(c), label=f"{names[c]} (AUC n/a: absent)")
            continue
        fpr, tpr = curve
        label = f"{names[c]} (AUC {auc[c]:.4f})"
        for axis in (full, zoom):
            axis.plot(fpr, tpr, color=class_colour(c), linewidth=1.2, label=label)
    full.plot([0, 1], [0, 1], color="0.6", linestyle=":", linewidth=0.8)
    full.legend(loc="lower right", fontsize=7)
    # High-AUC classifiers hug the corner: a log false-positive axis shows the differences.
    zoom.set_xscale("log")
    zoom.set_xlim(1e-4, 1)
    zoom.set_title("same, log false positive rate", fontsize=10)
    for axis in (full, zoom):
        axis.set_xlabel("false positive rate")
        axis.set_ylabel("true positive rate")
        axis.grid(alpha=0.3)
    full.set_title(title, fontsize=10)
    return figure


def pr_curves(curves: ClassCurves, ap: np.ndarray, names: Sequence[str], title: str) -> Figure:
    """One-vs-rest precision-recall curve per class (recall, precision), AP in the legend."""
    figure, axis = plt.subplots(figsize=(6.5, 5), layout="constrained")
    for c, curve in enumerate(curves):
        if curve is None:
            axis.plot([], [], color=class_colour(c), label=f"{names[c]} (AP n/a: absent)")
            continue
        recall, precision = curve
        axis.step(
            recall,
            precision,
            where="post",
            color=class_colour(c),
            linewidth=1.2,
            label=f"{names[c]} (AP {ap[c]:.4f})",
        )
    axis.set_xlim(0, 1.01)
    axis.set_ylim(0, 1.01)
    axis.set_xlabel("recall")
    axis.set_ylabel("precision")
    axis.grid(alpha=0.3)
    axis.legend(loc="lower left", fontsize=7)
    axis.set_title(title, fontsize=10)
    return figure


def training_curves(
    epoch: np.ndarray,
    series: dict[str, tuple[np.ndarray, np.ndarray]],
    best_epoch: int | None,
    title: str,
) -> Figure:
    """One panel per metric name in `series` ({name: (train, validation)}), best epoch marked."""
    figure, axes = plt.subplots(
        1, len(series), figsize=(4.2 * len(series), 3.6), layout="constrained", squeeze=False
    )
    for axis, (name, (train, validation)) in zip(axes[0], series.items(), strict=True):
        axis.plot(epoch, train, marker="o", markersize=3, color="#0072B2", label="train")
        axis.plot(epoch, validation, marker="o", markersize=3, color="#D55E00", label="validation")
        if best_epoch is not None:
            axis.axvline(
                best_epoch,
                color="0.4",
                linestyle="--",
                linewidth=0.9,
                label=f"best epoch ({best_epoch})",
            )
        axis.set_xlabel("epoch")
        axis.locator_params(axis="x", integer=True)
        axis.set_title(name, fontsize=10)
        axis.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    figure.suptitle(title)
    return figure


def _beat_label(axis, t: float, y: float, text: str, colour: str, bold: bool = False) -> None:
    """A beat's class (and probability) written above it at time `t`."""
    axis.annotate(
        text,
        (t, y),
        ha="center",
        va="bottom",
        fontsize=7,
        color=colour,
        fontweight="bold" if bold else "normal",
    )


def classified_strip(
    time_s: np.ndarray,
    signal: np.ndarray,
    beat_times_s: np.ndarray,
    labels: np.ndarray,
    class_names: Sequence[str],
    probabilities: np.ndarray,
    title: str,
    unit: str = "mV",
) -> Figure:
    """A stretch of a lead with each beat's predicted class (and its probability) above it."""
    figure, axis = plt.subplots(figsize=(12, 3.6), layout="constrained")
    axis.plot(time_s, signal, color="0.25", linewidth=0.8)
    top = float(np.max(signal)) if signal.size else 1.0
    span = float(np.ptp(signal)) if signal.size else 1.0
    for t, label, p in zip(beat_times_s, labels, probabilities, strict=True):
        colour = class_colour(int(label))
        axis.axvline(t, color=colour, alpha=0.35, linewidth=1.0)
        _beat_label(axis, t, top + 0.05 * span, f"{class_names[int(label)]}\n{p:.2f}", colour)
    axis.set_ylim(top=top + 0.3 * span)
    axis.set_xlim(time_s[0] if time_s.size else 0, time_s[-1] if time_s.size else 1)
    axis.set_xlabel("time (s)")
    axis.set_ylabel(unit)
    axis.set_title(title)
    return figure


# --- Interpretability (UMAP of CNN features, SHAP grid and per-class profiles) -------------------


def _legend_below(figure: Figure, handles: list, n_columns: int) -> None:
    figure.legend(
        handles=handles,
        loc="outside lower center",
        ncols=max(1, n_columns),
        fontsize=8,
        markerscale=1.0,
        frameon=False,
    )


def umap_scatter(
    embedding: np.ndarray,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    class_names: Sequence[str],
    title: str,
) -> Figure:
    """UMAP of CNN features: left coloured by true class (mistakes as crosses), right by prediction.

    Large classes are drawn first so that minority classes stay visible on top.
    """
    from matplotlib.lines import Line2D

    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    n = len(y_true)
    size = float(np.clip(30000.0 / max(n, 1), 1.5, 16.0))
    figure, axes = plt.subplots(
        1, 2, figsize=(12, 6.4), sharex=True, sharey=True, layout="constrained"
    )
    wrong = y_true != y_pred
    panels = (
        (axes[0], y_true, "coloured by true class; x = misclassified"),
        (axes[1], y_pred, "coloured by predicted class"),
    )
    handles = []
    for axis, labels, subtitle in panels:
        counts = np.bincount(labels, minlength=len(class_names))
        for c in np.argsort(-counts, kind="stable"):
            rows = (labels == c) & ~wrong if axis is axes[0] else labels == c
            if rows.any():
                axis.scatter(
                    *embedding[rows].T,
                    s=size,
                    color=class_colour(c),
                    linewidths=0,
                    alpha=0.7,
                    rasterized=True,
                )
        axis.set_title(subtitle, fontsize=10)
        axis.set_xlabel("UMAP 1")
        axis.set_xticks([])
        axis.set_yticks([])
    for c in np.unique(y_true[wrong]):
        rows = wrong & (y_true == c)
        axes[0].scatter(
            *embedding[rows].T,
            s=max(12.0, 3 * size),
            marker="X",
            color=class_colour(c),
            edgecolors="black",
            linewidths=0.4,
            zorder=3,
        )
    axes[0].set_ylabel("UMAP 2")
    true_counts = np.bincount(y_true, minlength=len(class_names))
    pred_counts = np.bincount(y_pred, minlength=len(class_names))
    for c, name in enumerate(class_names):
        handles.append(
            Line2D(
                [],
                [],
                linestyle="",
                marker="o",
                markersize=6,
                color=class_colour(c),
                label=f"{name}: {true_counts[c]:,} true / {pred_counts[c]:,} predicted",
            )
        )
    handles.append(
        Line2D(
            [],
            [],
            linestyle="",
            marker="X",
            markersize=7,
            color="0.8",
            markeredgecolor="black",
            label=f"misclassified: {int(wrong.sum()):,} of {n:,}",
        )
    )
    _legend_below(figure, handles, min(len(handles), 4))
    figure.suptitle(title)
    return figure


def _shap_colours(limit: float) -> tuple:
    """Red-blue colour map and a norm symmetric about 0 (red = positive SHAP)."""
    from matplotlib.colors import Normalize

    return plt.get_cmap("RdBu_r"), Normalize(-limit, limit)


def _coloured_line(axis, x: np.ndarray, y: np.ndarray, values: np.ndarray, limit: float) -> None:
    """The beat drawn as a line whose colour is the SHAP value at each sample."""
    from matplotlib.collections import LineCollection

    cmap, norm = _shap_colours(limit)
    points = np.column_stack([x, y])
    segments = np.stack([points[:-1], points[1:]], axis=1)
    colours = 0.5 * (values[:-1] + values[1:])
    # Thick coloured band under a thin dark trace: the beat's shape stays readable where the
    # SHAP values are near zero (pale colours).
    collection = LineCollection(segments, cmap=cmap, norm=norm, linewidths=3.2)
    collection.set_array(colours)
    axis.add_collection(collection)
    axis.plot(x, y, color="0.25", linewidth=0.5)


def shap_grid(
    beats: np.ndarray,
    values: np.ndarray,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    confidence: np.ndarray,
    roles: Sequence[str],
    class_names: Sequence[str],
    r_peak: int,
    title: str,
    rr_names: Sequence[str] = (),
    beat_label: str = "beat",
) -> Figure:
    """The paper's Figure 8: one row per explained beat, one column per class output.

    Column 0 shows the beat; column j+1 the SHAP values of output j drawn over the beat, red
    positive and blue negative on a scale symmetric about 0 (per row, its limit printed at the
    right). The predicted output has a thick frame: on the diagonal for correctly classified
    representatives; for misclassified beats the true class's output has a dashed frame.

    With `rr_names` (a model with an RR branch), each row of `beats` and `values` ends with those
    RR inputs; a last column shows, beside the beat, their SHAP values for the predicted output
    as bars labelled with the feature's value. `beat_label` names what the model saw (e.g. the
    beat minus its record's median beat).
    """
    from matplotlib.cm import ScalarMappable

    n_rr = len(rr_names)
    length = beats.shape[1] - n_rr
    rr_inputs, rr_values = beats[:, length:], values[:, length:]
    beats, values = beats[:, :length], values[:, :length]
    rows, _, k = values.shape
    x = np.arange(length) - r_peak
    figure, axes = plt.subplots(
        rows,
        k + 1 + bool(n_rr),
        figsize=(1.55 * (k + 1) + 1.2 + 2.2 * bool(n_rr), 1.05 * rows + 1.4),
        squeeze=False,
        layout="constrained",
        width_ratios=[1.0] * (k + 1) + [1.6] * bool(n_rr),
    )
    if n_rr:
        _rr_column(axes[:, -1], rr_names, rr_inputs, rr_values, y_pred)
        axes = axes[:, :-1]
    for r in range(rows):
        limit = float(np.nanpercentile(np.abs(values[r]), 99.9)) or 1e-12
        beat_axis = axes[r, 0]
        beat_axis.plot(x, beats[r], color=class_colour(int(y_true[r])), linewidth=1.2)
        verdict = "" if roles[r] == "correct" else " (wrong)"
        beat_axis.set_ylabel(
            f"true {class_names[y_true[r]]}\npred {class_names[y_pred[r]]}{verdict}\n"
            f"p={confidence[r]:.3f}",
            fontsize=7,
            rotation=0,
            ha="right",
            va="center",
        )
        for j in range(k):
            axis = axes[r, j + 1]
            _coloured_line(axis, x, beats[r], values[r, :, j], limit)
            axis.set_ylim(beat_axis.get_ylim())
            if j == y_pred[r]:
                for spine in axis.spines.values():
                    spine.set_linewidth(2.4)
            elif j == y_true[r]:
                for spine in axis.spines.values():
                    spine.set_linestyle("--")
                    spine.set_linewidth(1.6)
        axes[r, -1].annotate(
            f"±{limit:.2g}", xy=(1.02, 0.5), xycoords="axes fraction", fontsize=7, va="center"
        )
    for axis in axes.flat:
        axis.set_xlim(x[0], x[-1])
        axis.set_xticks([])
        axis.set_yticks([])
        axis.axvline(0, color="0.6", linewidth=0.5, linestyle=":")
    axes[0, 0].set_title(beat_label, fontsize=9)
    for j, name in enumerate(class_names):
        axes[0, j + 1].set_title(f"output {name}", fontsize=9)
    cmap, norm = _shap_colours(1.0)
    bar = figure.colorbar(
        ScalarMappable(norm, cmap),
        ax=axes,
        location="bottom",
        shrink=0.4,
        aspect=40,
        ticks=[-1, 0, 1],
    )
    bar.ax.set_xticklabels(["−limit (against)", "0", "+limit (for the output)"], fontsize=8)
    bar.set_label("SHAP value of the logit, scaled per row (R peak at the dotted line)", fontsize=8)
    figure.suptitle(title)
    return figure


def _rr_column(
    axes: np.ndarray,
    rr_names: Sequence[str],
    rr_inputs: np.ndarray,
    rr_values: np.ndarray,
    y_pred: np.ndarray,
) -> None:
    """Per grid row, the SHAP values of its RR inputs for the predicted output (bars)."""
    positions = np.arange(len(rr_names))
    chosen = rr_values[np.arange(len(y_pred)), :, np.asarray(y_pred, dtype=np.int64)]
    limit = float(np.abs(chosen).max()) or 1e-12
    for r, axis in enumerate(axes):
        colours = np.where(chosen[r] >= 0, "#c0392b", "#2e6fba")
        axis.barh(positions, chosen[r], color=colours, height=0.7)
        axis.set_xlim(-1.15 * limit, 1.15 * limit)
        axis.axvline(0, color="0.4", linewidth=0.6)
        axis.set_yticks(
            positions,
            [f"{name} {value:.2f}" for name, value in zip(rr_names, rr_inputs[r], strict=True)],
            fontsize=5,
        )
        axis.invert_yaxis()
        axis.tick_params(axis="x", labelsize=6, labelbottom=r == len(axes) - 1)
    axes[0].set_title("RR inputs: SHAP\nof the predicted output", fontsize=8)


def shap_profile(
    mean_abs: np.ndarray,
    mean_beat: np.ndarray,
    std_beat: np.ndarray,
    counts: np.ndarray,
    class_names: Sequence[str],
    r_peak: int,
    title: str,
    rr_names: Sequence[str] = (),
) -> Figure:
    """Per class: mean |SHAP| of its own output over time, above its mean beat (± 1 SD).

    With `rr_names`, the arrays end with those RR inputs: each class's title gives their share of
    the total mean |SHAP| (how much the class's output rests on the rhythm).
    """
    n_rr = len(rr_names)
    length = mean_abs.shape[1] - n_rr
    with np.errstate(invalid="ignore", divide="ignore"):
        rr_share = mean_abs[:, length:].sum(axis=1) / mean_abs.sum(axis=1)
    mean_abs, mean_beat, std_beat = (a[:, :length] for a in (mean_abs, mean_beat, std_beat))
    k = mean_abs.shape[0]
    x = np.arange(length) - r_peak
    columns = min(k, 5)
    grid_rows = int(np.ceil(k / columns))
    figure = plt.figure(figsize=(3.0 * columns, 3.6 * grid_rows), layout="constrained")
    grid = figure.add_gridspec(2 * grid_rows, columns, height_ratios=[1.0, 1.0] * grid_rows)
    for c in range(k):
        row, column = divmod(c, columns)
        top = figure.add_subplot(grid[2 * row, column])
        bottom = figure.add_subplot(grid[2 * row + 1, column], sharex=top)
        colour = class_colour(c)
        shares = f", RR {rr_share[c]:.0%} of |SHAP|" if n_rr and counts[c] else ""
        top.set_title(f"{class_names[c]} (n={int(counts[c])}){shares}", fontsize=9)
        if counts[c] == 0:
            top.text(
                0.5,
                0.5,
                "no test beats",
                ha="center",
                va="center",
                transform=top.transAxes,
                fontsize=8,
            )
        else:
            top.fill_between(x, 0, mean_abs[c], color=colour, alpha=0.6, linewidth=0)
            top.plot(x, mean_abs[c], color=colour, linewidth=1.0)
            bottom.fill_between(
                x,
                mean_beat[c] - std_beat[c],
                mean_beat[c] + std_beat[c],
                color=colour,
                alpha=0.25,
                linewidth=0,
            )
            bottom.plot(x, mean_beat[c], color=colour, linewidth=1.2)
        for axis in (top, bottom):
            axis.axvline(0, color="0.5", linewidth=0.6, linestyle=":")
            axis.tick_params(labelsize=7)
        top.tick_params(labelbottom=False)
        if column == 0:
            top.set_ylabel("mean |SHAP|", fontsize=8)
            bottom.set_ylabel("mean beat ± SD", fontsize=8)
        bottom.set_xlabel("samples from R peak", fontsize=8)
    figure.suptitle(title)
    return figure


def noise_curves(
    snr_db: Sequence[float],
    curves: dict[str, dict[str, np.ndarray]],
    clean: dict[str, float],
    title: str,
) -> Figure:
    """One panel per metric: its value against the SNR (dB, falling to the right), one line per
    noise source (`curves`: {metric: {source: values at `snr_db`}}), the clean value dashed."""
    order = np.argsort(snr_db)[::-1]
    x = np.asarray(snr_db, dtype=float)[order]
    n = len(curves)
    columns = min(3, n)
    rows = -(-n // columns)
    figure, axes = plt.subplots(
        rows, columns, figsize=(4.2 * columns, 3.4 * rows), layout="constrained", squeeze=False
    )
    for axis, (metric, by_source) in zip(axes.flat, curves.items(), strict=False):
        for index, (source, values) in enumerate(by_source.items()):
            axis.plot(
                x,
                np.asarray(values, dtype=float)[order],
                marker="o",
                markersize=3,
                color=class_colour(index),
                label=source,
            )
        if metric in clean:
            axis.axhline(clean[metric], color="0.4", linestyle="--", linewidth=0.9, label="clean")
        axis.invert_xaxis()
        axis.set_xlabel("SNR (dB)")
        axis.set_title(metric, fontsize=10)
        axis.grid(alpha=0.3)
    for axis in list(axes.flat)[n:]:
        axis.set_visible(False)
    figure.suptitle(title)
    axes[0][0].legend(fontsize=8)
    return figure


def explained_strip(
    time_s: np.ndarray,
    signal: np.ndarray,
    r_peak: int,
    fs: float,
    values: np.ndarray,
    beat_times_s: np.ndarray,
    labels: np.ndarray,
    confidence: np.ndarray,
    least_confident: np.ndarray,
    class_names: Sequence[str],
    title: str,
    unit: str = "mV",
) -> Figure:
    """A stretch of a lead, each beat's stretch (up to half-way to its neighbours) shaded by the
    SHAP values of its predicted class (`values` (beats, window), R peak at sample `r_peak`),
    its class and confidence above it, the least confident beats boxed in red."""
    figure, axis = plt.subplots(figsize=(12, 3.8), layout="constrained")
    axis.plot(time_s, signal, color="0.6", linewidth=0.6)
    top = float(np.max(signal)) if signal.size else 1.0
    bottom = float(np.min(signal)) if signal.size else 0.0
    span = max(top - bottom, 1e-9)
    shown = np.abs(np.asarray(values, dtype=float))
    limit = float(np.percentile(shown, 99)) if shown.size else 1.0
    limit = limit if limit > 0 else 1.0
    times = np.asarray(beat_times_s, dtype=float)
    for i, t in enumerate(times):
        start = t - (times[i] - times[i - 1]) / 2 if i else t - r_peak / fs
        end = t + (times[i + 1] - t) / 2 if i + 1 < times.size else t + r_peak / fs
        offsets = np.arange(values.shape[1]) - r_peak
        sample_times = t + offsets / fs
        inside = (sample_times >= max(start, t - r_peak / fs)) & (sample_times < end)
        inside &= (sample_times >= time_s[0]) & (sample_times <= time_s[-1])
        if inside.sum() < 2:
            continue
        y = np.interp(sample_times[inside], time_s, signal)
        _coloured_line(axis, sample_times[inside], y, values[i][inside], limit)
        label = int(labels[i])
        _beat_label(
            axis,
            t,
            top + 0.05 * span,
            f"{class_names[label]}\n{confidence[i]:.2f}",
            "#D55E00" if least_confident[i] else class_colour(label),
            bold=bool(least_confident[i]),
        )
        if least_confident[i]:
            axis.axvspan(start, end, color="#D55E00", alpha=0.12, linewidth=0)
    cmap, norm = _shap_colours(limit)
    mappable = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    figure.colorbar(mappable, ax=axis, shrink=0.8, label="SHAP (predicted-class logit)")
    axis.set_ylim(bottom - 0.05 * span, top + 0.35 * span)
    axis.set_xlim(time_s[0] if time_s.size else 0, time_s[-1] if time_s.size else 1)
    axis.set_xlabel("time (s)  (shaded: least confident beats)")
    axis.set_ylabel(unit)
    axis.set_title(title, fontsize=10)
    return figure
