"""SHAP explanations of the CNN's beat classifications (the paper's Figure 8).

What is explained: the **logits** (pre-softmax outputs). DeepSHAP's rescale rule treats shap's
``Softmax`` handler as an element-wise non-linearity, which softmax is not, so SHAP values of
probabilities would not add up; the logits are the model's ``forward`` and they do. Additivity,
checked by :func:`additivity_error`: for each beat and class output, the SHAP values summed over
time equal ``logit(beat) - mean logit over the background``.

Explainers: ``deep`` (shap.DeepExplainer, DeepLIFT rescale rule, additive up to float32
rounding) and ``gradient`` (shap.GradientExplainer, expected gradients, additive only in
expectation over its random samples). :func:`check_additivity` holds the policy: residuals are
reported for both, and the deep explainer's values must add up within the tolerance.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ecgbeats.errors import InputError
from ecgbeats.model import INFERENCE_BATCH, batched_outputs

logger = logging.getLogger(__name__)

EXPLAINERS = ("deep", "gradient")
# DeepSHAP additivity holds up to float32 rounding: |sum(shap) - (f(x) - E f)| must stay within
# ADDITIVITY_ATOL + ADDITIVITY_RTOL * |f(x) - E f| (logit units).
ADDITIVITY_ATOL = 1e-3
ADDITIVITY_RTOL = 1e-3


# Beats per forward pass that shap's explainers run on (the tiled beats and as many background
# beats): bounds memory to a few hundred MB for the default CNN.
PASS_BEATS = 1024


class GroupedBeats(nn.Module):
    """The model applied to groups of beats at once, for shap to explain in fewer passes.

    Input (n, g, L): n groups of g beats; output (n, m): per selected output column, the sum of
    the g beats' logits. Each beat reaches only its own logits, so the DeepLIFT/SHAP values of a
    beat's samples for the summed output are exactly those of its own logit, and the g beats are
    explained in one pass instead of g (shap's explainers loop over samples in Python).
    """

    def __init__(self, model: nn.Module, columns: Sequence[int] | None = None) -> None:
        super().__init__()
        self.model = model
        self.select = columns is not None
        self.register_buffer("columns", torch.as_tensor(list(columns or []), dtype=torch.long))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, g, length = x.shape
        logits = self.model(x.reshape(n * g, 1, length))
        if self.select:
            logits = logits.index_select(1, self.columns)
        return logits.reshape(n, g, -1).sum(dim=1)


def prepare_for_shap(model: nn.Module) -> nn.Module:
    """A copy of `model` that shap's DeepExplainer can attribute through.

    DeepExplainer puts full backward hooks on every leaf module, and PyTorch refuses in-place
    operations on hooked outputs, so in-place ReLUs become out-of-place (same values). Evaluation
    mode makes BatchNorm a fixed affine map (a supported linear op) and removes dropout.
    """
    prepared = copy.deepcopy(model).cpu().eval()
    for module in prepared.modules():
        if getattr(module, "inplace", False):
            module.inplace = False
    for parameter in prepared.parameters():
        parameter.requires_grad_(False)
    return prepared


def _check_single_use(model: nn.Module, sample: torch.Tensor) -> None:
    """DeepExplainer stores each leaf module's input on the module: a reused module breaks it."""
    calls: dict[str, int] = {}
    handles = []
    for name, module in model.named_modules():
        if not list(module.children()):
            handles.append(
                module.register_forward_hook(
                    lambda _m, _i, _o, name=name: calls.__setitem__(name, calls.get(name, 0) + 1)
                )
            )
    try:
        with torch.no_grad():
            model(sample)
    finally:
        for handle in handles:
            handle.remove()
    reused = sorted(name for name, count in calls.items() if count > 1)
    if reused:
        raise InputError(
            f"the model calls module(s) {', '.join(reused)} more than once per forward pass; "
            "shap's DeepExplainer needs one module instance per use (use the gradient explainer)"
        )


def _as_input(beats: np.ndarray) -> torch.Tensor:
    beats = np.asarray(beats, dtype=np.float32)
    if beats.ndim != 2:
        raise InputError(f"beats must be shaped (n, length), got {beats.shape}")
    return torch.from_numpy(np.ascontiguousarray(beats))[:, None, :]


def model_outputs(
    model: nn.Module, beats: np.ndarray, batch_size: int = INFERENCE_BATCH
) -> np.ndarray:
    """Logits (n, k) float64 of `beats` (n, L) in evaluation mode (on the CPU)."""
    beats = np.asarray(beats, dtype=np.float32)
    if beats.ndim != 2:
        raise InputError(f"beats must be shaped (n, length), got {beats.shape}")
    logits = batched_outputs(model, beats, batch_size, "cpu", _double_logits)
    return logits.astype(np.float64, copy=False)


def _double_logits(model: nn.Module, batch: torch.Tensor) -> torch.Tensor:
    return model(batch).double()


def explain(
    model: nn.Module,
    background: np.ndarray,
    beats: np.ndarray,
    method: str = "deep",
    outputs: Sequence[int] | None = None,
    gradient_samples: int = 200,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """SHAP values of the logits of `beats` (n, L) against `background` (b, L).

    Returns ``(values, expected)``: values (n, L, m) float32 for the m explained outputs (all
    outputs, or the columns `outputs` in that order) and expected (m,) float64, the mean logits
    over the background.
    """
    import shap  # imported here: slow to import, and only this stage needs it

    if method not in EXPLAINERS:
        raise InputError(f"the SHAP explainer must be one of {EXPLAINERS}, got {method!r}")
    if len(background) < 1:
        raise InputError("SHAP needs at least one background beat")
    prepared = prepare_for_shap(model)
    if method == "deep":
        _check_single_use(prepared, _as_input(background[:1]))
    beats = np.asarray(beats, dtype=np.float32)
    background = np.asarray(background, dtype=np.float32)
    if beats.ndim != 2 or background.ndim != 2 or beats.shape[1] != background.shape[1]:
        raise InputError(
            f"beats {beats.shape} and background {background.shape} must be (n, L) with equal L"
        )
    n, length = beats.shape
    wrapped = GroupedBeats(prepared, outputs).eval()
    expected = model_outputs(prepared, background).mean(axis=0)
    if outputs is not None:
        expected = expected[list(outputs)]
    if n == 0:
        return np.zeros((0, length, len(expected)), np.float32), expected
    # Deep tiles each group against the whole background; gradient runs batches of 50 samples.
    per_pass = len(background) if method == "deep" else 50
    group = int(np.clip(PASS_BEATS // per_pass, 1, n))
    n_groups = -(-n // group)
    # The last group is padded with copies of its first beat; their values are dropped.
    padded = np.concatenate([beats, np.repeat(beats[-1:], n_groups * group - n, axis=0)])
    x = torch.from_numpy(padded.reshape(n_groups, group, length))
    # Every background item holds one background beat g times: beat i of a group is compared
    # with background beat b, exactly as when explaining it alone.
    data = torch.from_numpy(np.ascontiguousarray(np.repeat(background[:, None], group, axis=1)))
    if method == "deep":
        explainer = shap.DeepExplainer(wrapped, data)
        # Checked by the caller with a stated tolerance (additivity_error) instead of shap's own.
        values = explainer.shap_values(x, check_additivity=False)
    else:
        explainer = shap.GradientExplainer(wrapped, data)
        values = explainer.shap_values(x, nsamples=int(gradient_samples), rseed=int(seed))
    # shap returns (groups, g, L, m) (one output without its own axis in some versions).
    values = np.asarray(values, dtype=np.float32).reshape(n_groups * group, length, -1)
    return values[:n], expected


def additivity_error(
    values: np.ndarray, outputs: np.ndarray, expected: np.ndarray
) -> tuple[float, np.ndarray]:
    """Largest |sum over time of SHAP - (output - expected)| relative to the tolerance.

    Returns ``(ratio, residual)``: residual (n, m) in logit units and the largest residual divided
    by ``ADDITIVITY_ATOL + ADDITIVITY_RTOL * |output - expected|``; additivity holds when the
    ratio is at most 1.
    """
    delta = np.asarray(outputs, dtype=np.float64) - np.asarray(expected, dtype=np.float64)
    residual = np.asarray(values, dtype=np.float64).sum(axis=1) - delta
    allowed = ADDITIVITY_ATOL + ADDITIVITY_RTOL * np.abs(delta)
    ratio = float(np.max(np.abs(residual) / allowed)) if residual.size else 0.0
    return ratio, residual


def check_additivity(
    method: str, values: np.ndarray, outputs: np.ndarray, expected: np.ndarray
) -> np.ndarray:
    """Residuals (n, m) of SHAP additivity (see :func:`additivity_error`), logged.

    DeepSHAP is exact up to rounding: beyond the tolerance it has met an operation it cannot
    attribute through, and a RuntimeError says so. Expected gradients add up only on average
    over their samples, so the ``gradient`` explainer's residuals are only reported.
    """
    ratio, residual = additivity_error(values, outputs, expected)
    largest = float(np.abs(residual).max()) if residual.size else 0.0
    logger.info(
        "additivity: largest |sum(SHAP) - (logit - expected)| = %.3g logits, %.3g of the "
        "tolerance (%g + %g * |logit - expected|)",
        largest,
        ratio,
        ADDITIVITY_ATOL,
        ADDITIVITY_RTOL,
    )
    if method == "deep" and ratio > 1:
        raise RuntimeError(
            f"DeepExplainer's SHAP values do not add up to the logits (largest gap "
            f"{largest:.3g}); the model has an operation shap cannot attribute through (use the "
            "gradient explainer)"
        )
    return residual


def background_positions(n_train: int, size: int, seed: int) -> np.ndarray:
    """Sorted positions of a uniform random subset of `size` training beats (all when fewer)."""
    if size < 1:
        raise InputError(f"the number of SHAP background beats must be >= 1, got {size}")
    if n_train < 1:
        raise InputError("the training split is empty: no background beats for SHAP")
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_train, size=min(size, n_train), replace=False))


@dataclass(frozen=True)
class Selection:
    """Beats chosen for the SHAP grid: positions into the predictions, and why each was chosen."""

    positions: np.ndarray  # int64 (m,)
    roles: np.ndarray  # str (m,): "correct" or "misclassified"


def representative_beats(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    probabilities: np.ndarray,
    n_misclassified: int,
) -> Selection:
    """The paper's choice of beats to explain, by prediction confidence.

    For each true class present (in class order): its most confidently correct beat, i.e. the
    highest probability of that class among beats predicted as that class. A class without any
    correct prediction gets its beat with the highest probability of the true class instead (role
    "misclassified"). Then up to `n_misclassified` mistakes: each class's most confident wrong
    prediction (highest probability of the predicted class), the most confident first.
    """
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if not (len(y_true) == len(y_pred) == len(probabilities)):
        raise InputError("predictions: y_true, y_pred and probabilities differ in length")
    if n_misclassified < 0:
        raise InputError(
            f"the number of misclassified beats to explain must be >= 0, got {n_misclassified}"
        )
    confidence = probabilities[np.arange(len(y_pred)), y_pred]
    positions: list[int] = []
    roles: list[str] = []
    for c in np.unique(y_true):
        correct = np.flatnonzero((y_true == c) & (y_pred == c))
        if correct.size:
            positions.append(int(correct[np.argmax(probabilities[correct, c])]))
            roles.append("correct")
        else:
            members = np.flatnonzero(y_true == c)
            positions.append(int(members[np.argmax(probabilities[members, c])]))
            roles.append("misclassified")
    mistakes = []
    for c in np.unique(y_true):
        wrong = np.setdiff1d(np.flatnonzero((y_true == c) & (y_pred != c)), positions)
        if wrong.size:
            mistakes.append(int(wrong[np.argmax(confidence[wrong])]))
    mistakes.sort(key=lambda p: -confidence[p])
    for p in mistakes[:n_misclassified]:
        positions.append(p)
        roles.append("misclassified")
    return Selection(np.asarray(positions, dtype=np.int64), np.asarray(roles, dtype=str))


def profile_positions(labels: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    """Up to `per_class` random positions of each class, grouped by class in class order."""
    if per_class < 1:
        raise InputError(f"SHAP profile beats per class must be >= 1, got {per_class}")
    labels = np.asarray(labels, dtype=np.int64)
    rng = np.random.default_rng(seed)
    chosen = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        picked = rng.choice(members, size=min(per_class, members.size), replace=False)
        chosen.append(np.sort(picked))
    return np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.int64)


def explain_own_class(
    model: nn.Module,
    background: np.ndarray,
    beats: np.ndarray,
    labels: np.ndarray,
    method: str = "deep",
    gradient_samples: int = 200,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """SHAP values (n, L) of each beat's own-class logit (the output of ``labels[i]``).

    One class at a time with a single-output wrapper: k times cheaper than explaining every
    output of every beat. Also returns the expected logits (k,) over the background.
    """
    labels = np.asarray(labels, dtype=np.int64)
    beats = np.asarray(beats, dtype=np.float32)
    values = np.zeros(beats.shape, dtype=np.float32)
    for c in np.unique(labels):
        rows = np.flatnonzero(labels == c)
        class_values, _ = explain(
            model, background, beats[rows], method, [int(c)], gradient_samples, seed
        )
        values[rows] = class_values[:, :, 0]
    expected = model_outputs(prepare_for_shap(model), background).mean(axis=0)
    return values, expected


def class_profiles(
    values: np.ndarray, beats: np.ndarray, labels: np.ndarray, n_classes: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per class: mean |SHAP| over time, mean beat and its standard deviation, beat count.

    Returns arrays (k, L), (k, L), (k, L) float64 and (k,) int64; NaN rows for absent classes.
    """
    values = np.asarray(values, dtype=np.float64)
    beats = np.asarray(beats, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    length = beats.shape[1]
    mean_abs = np.full((n_classes, length), np.nan)
    mean_beat = np.full((n_classes, length), np.nan)
    std_beat = np.full((n_classes, length), np.nan)
    counts = np.bincount(labels, minlength=n_classes).astype(np.int64)
    for c in range(n_classes):
        rows = labels == c
        if rows.any():
            mean_abs[c] = np.abs(values[rows]).mean(axis=0)
            mean_beat[c] = beats[rows].mean(axis=0)
            std_beat[c] = beats[rows].std(axis=0)
    return mean_abs, mean_beat, std_beat, counts
