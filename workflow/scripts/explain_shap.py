"""SHAP values of the CNN's logits: grid of representative beats and per-class profiles.

Writes everything the figures need (beats, values, class profiles, R-peak position) into one
npz; plot_shap.py (rule plot_shap) draws them without the model or the dataset.
"""

import numpy as np

from _common import load_predictions, logged, set_torch_threads
from ecgbeats import explanation
from ecgbeats.errors import InputError
from ecgbeats.model import load_checkpoint

with logged(snakemake) as log:
    set_torch_threads(snakemake.threads)
    p = snakemake.params
    predictions = load_predictions(snakemake.input.predictions)
    index, y_true, y_pred = predictions["index"], predictions["y_true"], predictions["y_pred"]
    probabilities, class_names = predictions["probabilities"], predictions["class_names"]
    with np.load(snakemake.input.split, allow_pickle=False) as parts:
        train = np.asarray(parts["train"], dtype=np.int64)
    with np.load(snakemake.input.dataset, allow_pickle=False) as data:
        beats = data["beats"]
    for name, rows in (("predictions", index), ("split", train)):
        if rows.size and (rows.min() < 0 or rows.max() >= len(beats)):
            raise InputError(
                f"{getattr(snakemake.input, name)}: indexes outside the {len(beats)} beats of "
                f"{snakemake.input.dataset} (inputs out of date?)"
            )
    if index.size == 0:
        raise InputError(f"{snakemake.input.predictions}: no test beats to explain")
    model, _ = load_checkpoint(snakemake.input.model, expected_class_names=class_names)
    k = len(class_names)

    background = train[explanation.background_positions(train.size, p.background, p.seed)]
    log.info(
        "explainer %s, %d background beats (config key 'shap.background'), outputs: logits",
        p.explainer,
        background.size,
    )

    # Grid: the most confident correct beat per class, then the most confident mistakes.
    selection = explanation.representative_beats(y_true, y_pred, probabilities, p.misclassified)
    grid_rows = index[selection.positions]
    grid_values, expected = explanation.explain(
        model,
        beats[background],
        beats[grid_rows],
        method=p.explainer,
        gradient_samples=p.gradient_samples,
        seed=p.seed,
    )
    grid_logits = explanation.model_outputs(model, beats[grid_rows])
    ratio, residual = explanation.additivity_error(grid_values, grid_logits, expected)
    log.info(
        "additivity: largest |sum(SHAP) - (logit - expected)| = %.3g logits, %.3g of the "
        "tolerance (%g + %g * |logit - expected|)",
        float(np.abs(residual).max()),
        ratio,
        explanation.ADDITIVITY_ATOL,
        explanation.ADDITIVITY_RTOL,
    )
    if p.explainer == "deep" and ratio > 1:
        # DeepSHAP is exact up to rounding: a larger gap means an op it does not support.
        raise RuntimeError(
            f"DeepExplainer's SHAP values do not add up to the logits (largest gap "
            f"{np.abs(residual).max():.3g}); the model has an operation shap cannot attribute "
            "through (config key 'shap.explainer': try 'gradient')"
        )

    # Profiles: each class's own output, explained on many random test beats of that class.
    profile = explanation.profile_positions(y_true, p.profile_beats, p.seed)
    profile_rows = index[profile]
    profile_values, _ = explanation.explain_own_class(
        model,
        beats[background],
        beats[profile_rows],
        y_true[profile],
        method=p.explainer,
        gradient_samples=p.gradient_samples,
        seed=p.seed,
    )
    log.info("profiles from %d test beats (config key 'shap.profile_beats')", profile.size)
    mean_abs, mean_beat, std_beat, counts = explanation.class_profiles(
        profile_values, beats[profile_rows], y_true[profile], k
    )

    confidence = probabilities[selection.positions, y_pred[selection.positions]]
    np.savez_compressed(
        snakemake.output.values,
        class_names=np.asarray(class_names),
        explainer=np.asarray(p.explainer),
        output=np.asarray("logits"),
        expected_value=expected,
        background_index=background,
        grid_index=grid_rows,
        grid_role=selection.roles,
        grid_y_true=y_true[selection.positions],
        grid_y_pred=y_pred[selection.positions],
        grid_confidence=confidence.astype(np.float32),
        grid_logits=grid_logits.astype(np.float32),
        grid_beats=beats[grid_rows],
        grid_shap=grid_values,
        additivity_residual=residual.astype(np.float32),
        profile_index=profile_rows,
        profile_y_true=y_true[profile],
        profile_shap=profile_values,
        profile_mean_abs_shap=mean_abs,
        profile_mean_beat=mean_beat,
        profile_std_beat=std_beat,
        profile_counts=counts,
        r_peak=np.asarray(p.r_peak, dtype=np.int64),
    )
