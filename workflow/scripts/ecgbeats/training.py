"""Training loop of the beat CNN: Adam, StepLR, cross-entropy, best-on-validation selection.

The whole training set lives in one tensor on the device; each epoch draws a permutation from
a seeded generator and slices batches out of it, which avoids a DataLoader's per-sample Python
overhead (benchmarks/bench_training.py measures what is left). The history is written by
ecgbeats.artifacts.write_history (columns HISTORY_COLUMNS there).
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch
from sklearn.metrics import f1_score
from torch import nn

from ecgbeats.errors import InputError, raise_problems
from ecgbeats.model import INFERENCE_BATCH, BeatCNN, CNNConfig, batched_outputs, resolve_device

logger = logging.getLogger(__name__)


LOSSES = ("cross_entropy", "focal")
#: Arithmetic of the training steps: float32, or bfloat16 autocast (weights stay float32).
PRECISIONS = ("float32", "bfloat16")


class FocalLoss(nn.Module):
    """Focal loss (Lin et al. 2017): cross-entropy scaled by (1 - p_true) ** gamma, so beats the
    model already gets right weigh less and the hard ones (rare classes, unseen patients' odd
    beats) more. With class weights it is their weighted mean, like ``CrossEntropyLoss``."""

    def __init__(self, gamma: float, weight: torch.Tensor | None = None) -> None:
        super().__init__()
        self.gamma = gamma
        self.weight = weight

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        log_p = nn.functional.log_softmax(logits, dim=1).gather(1, target[:, None])[:, 0]
        loss = -((1 - log_p.exp()) ** self.gamma) * log_p
        if self.weight is None:
            return loss.mean()
        weights = self.weight[target]
        return (loss * weights).sum() / weights.sum()


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings: Adam, a StepLR schedule, batches, seed, device, BatchNorm
    calibration after each epoch (0 beats: none), the loss (cross_entropy or focal, with
    focal_gamma), and the precision of the training steps (float32, or bfloat16 autocast)."""

    epochs: int
    batch_size: int
    learning_rate: float
    lr_step_epochs: int
    lr_gamma: float
    weight_decay: float
    seed: int
    device: str
    bn_calibration_beats: int
    loss: str
    focal_gamma: float
    precision: str

    def __post_init__(self) -> None:
        problems = []
        if self.loss not in LOSSES:
            problems.append(f"loss must be one of {', '.join(LOSSES)}, got {self.loss!r}")
        if self.precision not in PRECISIONS:
            problems.append(
                f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}"
            )
        if self.focal_gamma < 0:
            problems.append(f"focal_gamma must be >= 0, got {self.focal_gamma}")
        if self.epochs < 1:
            problems.append(f"epochs must be >= 1, got {self.epochs}")
        if self.batch_size < 1:
            problems.append(f"batch_size must be >= 1, got {self.batch_size}")
        if self.learning_rate <= 0:
            problems.append(f"learning_rate must be > 0, got {self.learning_rate}")
        if self.lr_step_epochs < 1:
            problems.append(f"lr_step_epochs must be >= 1, got {self.lr_step_epochs}")
        if not 0 < self.lr_gamma <= 1:
            problems.append(f"lr_gamma must be in (0, 1], got {self.lr_gamma}")
        if self.weight_decay < 0:
            problems.append(f"weight_decay must be >= 0, got {self.weight_decay}")
        if self.bn_calibration_beats < 0:
            problems.append(f"bn_calibration_beats must be >= 0, got {self.bn_calibration_beats}")
        raise_problems("training settings", problems)


@dataclass(frozen=True)
class Augmentation:
    """Random changes to each training beat, drawn anew for every batch of every epoch, so
    the network cannot learn a training patient's exact waveform: the amplitude scaled by a
    factor from U(1 - scale, 1 + scale), the beat moved by a whole number of samples from
    U{-shift, ..., shift} (edges repeated: R-peak jitter of a detector), then Gaussian noise of
    sd `noise` (units of the normalised beat) added. The RR features are left as they are."""

    scale: float
    shift: int
    noise: float

    def __post_init__(self) -> None:
        problems = []
        if not 0 <= self.scale < 1:
            problems.append(f"scale must be in [0, 1), got {self.scale}")
        if self.shift < 0:
            problems.append(f"shift must be >= 0, got {self.shift}")
        if self.noise < 0:
            problems.append(f"noise must be >= 0, got {self.noise}")
        raise_problems("augmentation settings", problems)


def augment_beats(
    rows: torch.Tensor, config: CNNConfig, augmentation: Augmentation, generator: torch.Generator
) -> torch.Tensor:
    """`rows` (b, 1, config.input_width) with each lead's beat changed as `augmentation` says
    (every lead of a row alike); a new tensor. Random numbers come from `generator` (CPU), so
    CPU and CUDA runs draw the same ones."""
    b, leads, length = rows.shape[0], config.leads, config.input_length
    beats = rows[:, 0, : config.beat_width].reshape(b, leads, length)
    factor = 1 + augmentation.scale * (2 * torch.rand(b, 1, 1, generator=generator) - 1)
    offset = torch.randint(
        -augmentation.shift, augmentation.shift + 1, (b, 1, 1), generator=generator
    )
    source = (torch.arange(length).view(1, 1, length) - offset).clamp(0, length - 1)
    noise = augmentation.noise * torch.randn(b, leads, length, generator=generator)
    moved = torch.gather(beats, 2, source.expand(b, leads, length).to(rows.device))
    changed = moved * factor.to(rows.device) + noise.to(rows.device)
    return torch.cat([changed.reshape(b, 1, -1), rows[:, :, config.beat_width :]], dim=2)


@dataclass
class TrainResult:
    """The best-on-validation model (eval mode, CPU) and the per-epoch history."""

    model: BeatCNN
    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0


@contextmanager
def deterministic(seed: int) -> Iterator[None]:
    """Seed torch and ask for deterministic kernels, restoring the previous global setting."""
    previous = torch.are_deterministic_algorithms_enabled()
    previous_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    torch.manual_seed(seed)
    # warn_only: a few CUDA kernels have no deterministic variant; CPU ones all do.
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous, warn_only=previous_warn)


def calibrate_batch_norm(model: nn.Module, beats: torch.Tensor, batch_size: int = 1280) -> None:
    """Recompute BatchNorm running statistics as exact averages over `beats` with the current
    weights. The default exponential average lags behind the weights and, in short runs (few
    batches, e.g. the smoke test), leaves evaluation-mode predictions far off the training ones.
    """
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms or beats.shape[0] == 0:
        return
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the calibration batches
    # Training mode: each batch's forward pass updates the statistics; outputs are not needed.
    batched_outputs(model, beats, batch_size, beats.device, train=True)
    for m, momentum in zip(norms, momenta, strict=True):
        m.momentum = momentum


def outputs_by_group(
    model: nn.Module,
    beats: torch.Tensor,
    groups: np.ndarray,
    batch_size: int = INFERENCE_BATCH,
) -> np.ndarray:
    """The logits of `beats` (a tensor shaped for the model) in evaluation mode, each group's
    rows (`groups`: e.g. the record of each row) through a copy of `model` whose BatchNorm
    statistics are those of that group's own rows: every patient's features normalised to the
    patient, without labels. Rows keep their order; `model` is left unchanged."""
    groups = np.asarray(groups)
    if groups.shape != (beats.shape[0],):
        raise InputError(f"{groups.shape[0]} group labels for {beats.shape[0]} rows")
    logits: np.ndarray | None = None
    for group in np.unique(groups):
        own = torch.from_numpy(np.flatnonzero(groups == group)).to(beats.device)
        adapted = copy.deepcopy(model)
        calibrate_batch_norm(adapted, beats[own], batch_size)
        part = batched_outputs(adapted, beats[own], batch_size, beats.device)
        if logits is None:
            logits = np.zeros((beats.shape[0], part.shape[1]), dtype=part.dtype)
        logits[own.cpu().numpy()] = part
    if logits is None:
        raise InputError("no rows to score")
    return logits


def group_batches(
    groups: np.ndarray, batch_size: int, generator: torch.Generator
) -> list[torch.Tensor]:
    """One epoch's batches of row indices, each batch from one group only (every group's rows
    shuffled and cut into near-equal batches of at most `batch_size`; the batches in random
    order), so that BatchNorm normalises each training batch by one patient, as
    :func:`outputs_by_group` does at inference. A group needs two rows (BatchNorm's batch
    statistics need two)."""
    groups = np.asarray(groups)
    names, counts = np.unique(groups, return_counts=True)
    if np.any(counts < 2):
        raise InputError(f"group(s) {names[counts < 2].tolist()} with fewer than 2 training rows")
    shuffled = torch.randperm(groups.size, generator=generator).numpy()
    order = shuffled[np.argsort(groups[shuffled], kind="stable")]
    batches = []
    for rows in np.split(order, np.cumsum(counts)[:-1]):
        pieces = np.array_split(rows, -(-rows.size // batch_size))
        batches += [torch.from_numpy(piece) for piece in pieces]
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]


def macro_f1_present(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Macro-F1 over the classes present in `y_true` (the model-selection criterion)."""
    # Averaged over the classes present in y_true: a class absent from a (record-wise)
    # validation part would otherwise count as F1 = 0 and penalise every model equally.
    return float(
        f1_score(y_true, y_pred, labels=np.unique(y_true), average="macro", zero_division=0)
    )


def fit_logit_offsets(
    log_probabilities: np.ndarray,
    labels: np.ndarray,
    offsets: Sequence[float],
    rounds: int,
) -> np.ndarray:
    """Per-class offsets (k,) added to the log-probabilities (or logits) before the argmax, chosen
    on held-out beats to maximise :func:`macro_f1_present` (a decision threshold per class).

    Coordinate ascent: `rounds` passes over the classes, each class's offset set to the best of
    `offsets` with the others fixed; the first class stays at 0 (only differences matter). Ties
    keep the smaller absolute offset, so no evidence leaves the model's decisions as they are.
    """
    scores = np.asarray(log_probabilities, dtype=np.float64)
    labels = np.asarray(labels)
    if scores.ndim != 2 or scores.shape[0] != labels.size:
        raise InputError(
            f"fit_logit_offsets: scores shaped {scores.shape} for {labels.size} labels"
        )
    candidates = sorted({float(o) for o in offsets} | {0.0}, key=abs)
    fitted = np.zeros(scores.shape[1])
    best = macro_f1_present(labels, scores.argmax(axis=1))
    for _ in range(rounds):
        for c in range(1, scores.shape[1]):
            for offset in candidates:
                trial = fitted.copy()
                trial[c] = offset
                score = macro_f1_present(labels, (scores + trial).argmax(axis=1))
                if score > best:
                    best, fitted = score, trial
    return fitted


def evaluate(
    model: nn.Module,
    beats: torch.Tensor,
    labels: torch.Tensor,
    batch_size: int = INFERENCE_BATCH,
    groups: np.ndarray | None = None,
) -> tuple[float, float, float]:
    """Mean unweighted cross-entropy, accuracy and macro-F1 of `model` in evaluation mode (with
    `groups`: each group through its own BatchNorm statistics, :func:`outputs_by_group`)."""
    logits = torch.from_numpy(
        batched_outputs(model, beats, batch_size, beats.device)
        if groups is None
        else outputs_by_group(model, beats, groups, batch_size)
    )
    logits = logits.to(beats.device)
    total_loss = 0.0
    # Summed per batch and accumulated as a Python float: the recorded losses keep their rounding.
    for start in range(0, logits.shape[0], batch_size):
        total_loss += float(
            nn.functional.cross_entropy(
                logits[start : start + batch_size],
                labels[start : start + batch_size],
                reduction="sum",
            )
        )
    y_pred = logits.argmax(dim=1).cpu().numpy()
    y_true = labels.cpu().numpy()
    n = max(1, y_true.size)
    return total_loss / n, float((y_pred == y_true).mean()), macro_f1_present(y_true, y_pred)


def _as_tensors(
    beats: np.ndarray, labels: np.ndarray, length: int, name: str, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    beats = np.asarray(beats)
    labels = np.asarray(labels)
    if beats.ndim != 2 or beats.shape[1] != length or beats.shape[0] != labels.shape[0]:
        raise InputError(
            f"{name} beats {beats.shape} and labels {labels.shape} must be (n, {length}) and (n,)"
        )
    if beats.shape[0] == 0:
        raise InputError(f"the {name} part is empty")
    x = torch.from_numpy(np.ascontiguousarray(beats, dtype=np.float32)).unsqueeze(1)
    y = torch.from_numpy(labels.astype(np.int64))
    return x.to(device), y.to(device)


def train_model(
    train_beats: np.ndarray,
    train_labels: np.ndarray,
    validation_beats: np.ndarray,
    validation_labels: np.ndarray,
    model_config: CNNConfig,
    train_config: TrainConfig,
    class_weights: np.ndarray | None = None,
    augmentation: Augmentation | None = None,
    groups: tuple[np.ndarray, np.ndarray] | None = None,
) -> TrainResult:
    """Train a fresh :class:`BeatCNN` on input rows (n, model_config.input_width; see
    ecgbeats.model.model_inputs), each batch changed by `augmentation` when given; keep the
    weights of the epoch with best validation macro-F1 (ties: lower validation loss). With
    `groups` (the group, e.g. the record, of every training and of every validation row), each
    training batch holds one group's rows (:func:`group_batches`) and validation scores each
    group through its own BatchNorm statistics (:func:`outputs_by_group`). Logs one line per
    epoch."""
    k = model_config.n_classes
    for name, y in (("train", train_labels), ("validation", validation_labels)):
        y = np.asarray(y)
        if y.size and (y.min() < 0 or y.max() >= k):
            raise InputError(f"{name} labels outside 0..{k - 1} for a {k}-class model")
    if groups is not None and np.shape(groups[0]) != (np.shape(train_labels)[0],):
        raise InputError(
            f"{np.shape(groups[0])[0]} training groups for {np.shape(train_labels)[0]} rows"
        )
    device = resolve_device(train_config.device)
    with deterministic(train_config.seed):
        x_train, y_train = _as_tensors(
            train_beats, train_labels, model_config.input_width, "train", device
        )
        x_val, y_val = _as_tensors(
            validation_beats, validation_labels, model_config.input_width, "validation", device
        )
        model = BeatCNN(model_config).to(device)
        weight = None
        if class_weights is not None:
            weight = torch.as_tensor(np.asarray(class_weights, dtype=np.float32), device=device)
            if weight.shape != (k,):
                raise InputError(f"class_weights must have {k} entries, got {tuple(weight.shape)}")
        loss_fn: nn.Module = (
            FocalLoss(train_config.focal_gamma, weight)
            if train_config.loss == "focal"
            else nn.CrossEntropyLoss(weight=weight)
        )
        optimiser = torch.optim.Adam(
            model.parameters(),
            lr=train_config.learning_rate,
            weight_decay=train_config.weight_decay,
        )
        scheduler = torch.optim.lr_scheduler.StepLR(
            optimiser, step_size=train_config.lr_step_epochs, gamma=train_config.lr_gamma
        )
        # The permutation generator lives on the CPU so CPU and CUDA runs shuffle alike.
        generator = torch.Generator().manual_seed(train_config.seed)
        # A generator of its own: augmenting leaves the order of the batches unchanged.
        augmenting = torch.Generator().manual_seed(train_config.seed + 1)
        n = x_train.shape[0]
        low_precision = train_config.precision == "bfloat16"
        history: list[dict[str, float]] = []
        best_state: dict[str, torch.Tensor] | None = None
        best_key: tuple[float, float] | None = None
        best_epoch = 0
        for epoch in range(1, train_config.epochs + 1):
            started = time.perf_counter()
            lr = optimiser.param_groups[0]["lr"]
            model.train()
            if groups is None:
                order = torch.randperm(n, generator=generator).to(device)
                batches = list(order.split(train_config.batch_size))
            else:
                batches = [
                    batch.to(device)
                    for batch in group_batches(groups[0], train_config.batch_size, generator)
                ]
                order = torch.cat(batches)
            loss_sum = torch.zeros((), device=device)
            predictions = torch.empty(n, dtype=torch.int64, device=device)
            start = 0
            for batch in batches:
                # bfloat16 autocast: convolutions and linear layers in bfloat16, the loss and
                # the (float32) weights' updates as before.
                rows = x_train[batch]
                if augmentation is not None:
                    rows = augment_beats(rows, model_config, augmentation, augmenting)
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=low_precision):
                    logits = model(rows)
                loss = loss_fn(logits.float(), y_train[batch])
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                optimiser.step()
                # Accumulated on the device: no host sync per batch.
                loss_sum += loss.detach() * batch.numel()
                predictions[start : start + batch.numel()] = logits.detach().argmax(dim=1)
                start += batch.numel()
            scheduler.step()
            if train_config.bn_calibration_beats:
                calibration = order[: train_config.bn_calibration_beats]
                calibrate_batch_norm(model, x_train[calibration], train_config.batch_size)
            y_seen = y_train[order].cpu().numpy()
            y_hat = predictions.cpu().numpy()
            val_loss, val_acc, val_f1 = evaluate(
                model, x_val, y_val, groups=None if groups is None else groups[1]
            )
            row = {
                "epoch": epoch,
                "lr": lr,
                "train_loss": float(loss_sum) / n,
                "train_accuracy": float((y_hat == y_seen).mean()),
                "train_macro_f1": macro_f1_present(y_seen, y_hat),
                "validation_loss": val_loss,
                "validation_accuracy": val_acc,
                "validation_macro_f1": val_f1,
                "seconds": time.perf_counter() - started,
            }
            history.append(row)
            key = (val_f1, -val_loss)
            improved = best_key is None or key > best_key
            if improved:
                best_key, best_epoch = key, epoch
                best_state = copy.deepcopy(model.state_dict())
            logger.info(
                "epoch %d/%d lr %.3g: train loss %.4f acc %.4f F1 %.4f | validation loss %.4f "
                "acc %.4f F1 %.4f | %.1f s%s",
                epoch,
                train_config.epochs,
                lr,
                row["train_loss"],
                row["train_accuracy"],
                row["train_macro_f1"],
                val_loss,
                val_acc,
                val_f1,
                row["seconds"],
                " (best)" if improved else "",
            )
        assert best_state is not None  # epochs >= 1
        model.load_state_dict(best_state)
    model.to("cpu").eval()
    logger.info("best epoch %d (validation macro-F1 %.4f)", best_epoch, best_key[0])
    return TrainResult(model, history, best_epoch)
