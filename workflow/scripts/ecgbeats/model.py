"""The 1D CNN beat classifier of Wang et al. 2024, batched inference, and loading a checkpoint.

Architecture: six convolutions (kernel 3, padding 1), each followed by BatchNorm1d and ReLU, with
MaxPool1d(2, 2) after convolutions 2, 4 and 6; then four fully connected layers (three hidden with
ReLU and optional dropout, one output). ``forward`` returns logits; softmax is applied by
``predict_proba`` (and implicitly by the cross-entropy loss during training).

Optional reference (``CNNConfig.beat_reference``): ``record_median`` takes each beat minus its
record's median beat (the patient's typical beat), so the network sees how a beat departs from
the patient's own morphology rather than the morphology itself.

Optional second input branch (``CNNConfig.rr_features``, names of ecgbeats.rhythm.RR_FEATURES):
the RR features pass BatchNorm1d (they come in seconds and ratios), a fully connected layer of
``rr_hidden`` units and ReLU, and join the flattened convolutions before the hidden layers, so
the last hidden layer (UMAP's) is the joint one. The model's input is then one row per beat: the
beat's samples followed by its RR features (:func:`model_inputs` builds it), so every consumer,
SHAP included, handles a single tensor and SHAP attributes the RR inputs like samples.

Optional leads (``CNNConfig.leads``): several leads' beats, one after the other in the input row,
become the convolutions' input channels. The workflow feeds one lead; benchmarks/ablate_inter.py
measured MLII with V1 (README "What helps unseen patients").

Every batched forward pass over many beats (prediction, features, SHAP's logits, training's
validation and BatchNorm calibration) goes through :func:`batched_outputs`. The checkpoint file
itself (``model.pt``) is read and written by ecgbeats.artifacts; :func:`load_model` rebuilds
the model from it.

Widths (config.yaml ``model``) were chosen by measurement on 2 CPU cores
(benchmarks/bench_training.py and a 4-epoch run on 10 MIT-BIH records, six classes): channels
16, 16, 32, 32, 64, 64 and hidden 128, 64, 32 cost 5.3 MFLOP per beat forward (15.8 per
training step) and reach test macro-F1 0.979; halving every width trains 3x faster but only
reaches 0.934, doubling it gains 0.007 for 4x the FLOPs. Narrow early convolutions keep the
cost low where the sequence is long (300, 150 samples); width is cheaper after pooling.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ecgbeats.artifacts import load_checkpoint
from ecgbeats.errors import InputError, raise_problems
from ecgbeats.prematurity import PrematurityModel, decide
from ecgbeats.rhythm import RR_FEATURES, select_rr_features

#: What each beat is taken relative to before the network sees it.
BEAT_REFERENCES = ("none", "record_median")

#: Beats per forward pass of every batched inference (:func:`batched_outputs`' callers). On the
#: CPU a batch's activations then stay in cache: benchmarks/bench_inference.py measured 4.1x the
#: beats/s of batches of 4096 (one thread, AVX-512), 1.8x with two threads.
INFERENCE_BATCH = 256


@dataclass(frozen=True)
class CNNConfig:
    """Shape of a :class:`BeatCNN`; stored in every checkpoint.

    `input_length` is the beat's length in samples; `leads` how many leads' beats of that length
    come one after the other in each input row (the convolutions' input channels); `rr_features`
    the RR features (names of ecgbeats.rhythm.RR_FEATURES, in input order) of the second branch,
    none to leave it out.
    """

    n_classes: int
    input_length: int
    leads: int
    channels: tuple[int, ...]
    hidden: tuple[int, ...]
    kernel_size: int
    dropout: float
    rr_features: tuple[str, ...]
    rr_hidden: int
    beat_reference: str

    def __post_init__(self) -> None:
        # Lists from YAML or from a checkpoint become tuples so the config stays hashable.
        object.__setattr__(self, "channels", tuple(int(c) for c in self.channels))
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        object.__setattr__(self, "rr_features", tuple(str(f) for f in self.rr_features))
        problems = []
        unknown = [name for name in self.rr_features if name not in RR_FEATURES]
        if unknown:
            problems.append(f"unknown rr_features {unknown} (known: {', '.join(RR_FEATURES)})")
        if len(set(self.rr_features)) != len(self.rr_features):
            problems.append(f"rr_features listed twice: {list(self.rr_features)}")
        if self.rr_hidden < 1:
            problems.append(f"rr_hidden must be >= 1, got {self.rr_hidden}")
        if self.beat_reference not in BEAT_REFERENCES:
            problems.append(
                f"beat_reference must be one of {', '.join(BEAT_REFERENCES)}, got "
                f"{self.beat_reference!r}"
            )
        if self.leads < 1:
            problems.append(f"leads must be >= 1, got {self.leads}")
        if self.n_classes < 2:
            problems.append(f"n_classes must be >= 2, got {self.n_classes}")
        if len(self.channels) != 6 or min(self.channels) < 1:
            problems.append(f"channels must be 6 positive ints, got {list(self.channels)}")
        if len(self.hidden) != 3 or min(self.hidden) < 1:
            problems.append(f"hidden must be 3 positive ints, got {list(self.hidden)}")
        if self.kernel_size < 1 or self.kernel_size % 2 == 0:
            problems.append(f"kernel_size must be odd and positive, got {self.kernel_size}")
        if self.input_length < 8:
            problems.append(
                f"input_length must be >= 8 (three 2x poolings), got {self.input_length}"
            )
        if not 0.0 <= self.dropout < 1.0:
            problems.append(f"dropout must be in [0, 1), got {self.dropout}")
        raise_problems("CNN model settings", problems)

    @property
    def input_width(self) -> int:
        """Values per beat in the model's input: the beat's samples of each lead, then its RR
        features."""
        return self.beat_width + len(self.rr_features)

    @property
    def beat_width(self) -> int:
        """Values of the beat itself in an input row: `input_length` samples per lead."""
        return self.leads * self.input_length

    @property
    def flat_length(self) -> int:
        """Time samples left after the three poolings (floor division, as MaxPool1d does)."""
        return self.input_length // 2 // 2 // 2

    def to_dict(self) -> dict:
        data = asdict(self)
        data["channels"] = list(self.channels)
        data["hidden"] = list(self.hidden)
        data["rr_features"] = list(self.rr_features)
        return data


def _conv_block(in_ch: int, out_ch: int, kernel_size: int) -> list[nn.Module]:
    # No conv bias: BatchNorm's shift makes it redundant.
    return [
        nn.Conv1d(in_ch, out_ch, kernel_size, padding=kernel_size // 2, bias=False),
        nn.BatchNorm1d(out_ch),
        nn.ReLU(inplace=True),
    ]


class BeatCNN(nn.Module):
    """Six-convolution 1D CNN with an optional RR branch; input (batch, 1, W) or (batch, W) with
    W = ``config.input_width`` (the beat, then its RR features), output logits (batch, k)."""

    def __init__(self, config: CNNConfig) -> None:
        super().__init__()
        self.config = config
        layers: list[nn.Module] = []
        in_ch = config.leads
        for i, out_ch in enumerate(config.channels):
            layers += _conv_block(in_ch, out_ch, config.kernel_size)
            if i % 2 == 1:  # after convolutions 2, 4 and 6
                layers.append(nn.MaxPool1d(2, 2))
            in_ch = out_ch
        self.conv = nn.Sequential(*layers)
        width = config.channels[-1] * config.flat_length
        self.rhythm: nn.Sequential | None = None
        if config.rr_features:
            n_rr = len(config.rr_features)
            self.rhythm = nn.Sequential(
                nn.BatchNorm1d(n_rr), nn.Linear(n_rr, config.rr_hidden), nn.ReLU(inplace=True)
            )
            width += config.rr_hidden
        # Flatten first (a no-op on the joined features) keeps the layer names of earlier models.
        hidden: list[nn.Module] = [nn.Flatten()]
        for h in config.hidden:
            hidden += [nn.Linear(width, h), nn.ReLU(inplace=True)]
            if config.dropout > 0:
                hidden.append(nn.Dropout(config.dropout))
            width = h
        self.hidden = nn.Sequential(*hidden)
        self.output = nn.Linear(width, config.n_classes)
        # Fitted after training, applied by predict_proba (ecgbeats.prematurity); not a layer,
        # so the logits, UMAP's features and SHAP stay the network's own.
        self.prematurity: PrematurityModel | None = None

    def set_prematurity(self, decision: PrematurityModel | None) -> None:
        """Attach (or, with None, remove) the premature-beat decision of predict_proba; its
        classes must be the model's."""
        if decision is not None and max(decision.normal, decision.premature) >= (
            self.config.n_classes
        ):
            raise InputError(
                f"premature-beat decision on classes {decision.normal} and "
                f"{decision.premature} of a model with {self.config.n_classes}"
            )
        self.prematurity = decision

    def _as_batch(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim == 2:
            x = x.unsqueeze(1)
        width = self.config.input_width
        if x.ndim != 3 or x.shape[1] != 1 or x.shape[2] != width:
            raise InputError(
                f"BeatCNN expects inputs shaped (batch, 1, {width}) or (batch, {width}) "
                f"({self.config.leads} lead(s) of {self.config.input_length} samples, "
                f"{len(self.config.rr_features)} RR features), got {tuple(x.shape)}"
            )
        return x

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Activations of the last hidden fully connected layer (after its ReLU): the joint
        layer when the model has an RR branch."""
        x = self._as_batch(x)
        width, leads = self.config.beat_width, self.config.leads
        # The leads lie one after the other in the row: they become the input channels.
        beats = x[:, 0, :width].reshape(x.shape[0], leads, self.config.input_length)
        joined = self.conv(beats).flatten(1)
        if self.rhythm is not None:
            joined = torch.cat([joined, self.rhythm(x[:, 0, width:])], dim=1)
        return self.hidden(joined)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(self.features(x))


def model_inputs(
    config: CNNConfig, beats: np.ndarray, rr_features: np.ndarray, median_beats: np.ndarray
) -> np.ndarray:
    """The model's input rows (n, config.input_width) float32: each beat (n, beat_width: the
    leads one after the other), relative to its record's median beat (`median_beats`: one per
    row, or one for all) when the config says so, followed by the RR features it names, from
    `rr_features` (n, RR_FEATURES)."""
    beats = np.asarray(beats, dtype=np.float32)
    if beats.ndim != 2 or beats.shape[1] != config.beat_width:
        raise InputError(
            f"beats must be shaped (n, {config.beat_width}) for this model ({config.leads} "
            f"lead(s) of {config.input_length} samples), got {beats.shape}"
        )
    if config.beat_reference == "record_median":
        median_beats = np.asarray(median_beats, dtype=np.float32)
        if median_beats.shape not in ((config.beat_width,), beats.shape):
            raise InputError(
                f"median beats shaped {median_beats.shape} for beats shaped {beats.shape}"
            )
        beats = beats - median_beats
    if not config.rr_features:
        return beats
    rhythm = select_rr_features(rr_features, config.rr_features)
    if rhythm.shape[0] != beats.shape[0]:
        raise InputError(f"{beats.shape[0]} beats but {rhythm.shape[0]} rows of RR features")
    return np.ascontiguousarray(np.hstack([beats, rhythm.astype(np.float32)]))


def dataset_inputs(
    config: CNNConfig, data: Mapping[str, np.ndarray], rows: np.ndarray | None = None
) -> np.ndarray:
    """:func:`model_inputs` of the rows `rows` (all when None) of a task dataset's arrays
    (ecgbeats.artifacts DATASET: beats, rr_features, records and each record's median beat)."""
    rows = np.arange(data["labels"].size) if rows is None else np.asarray(rows)
    record_ids = [str(r) for r in data["record_ids"]]
    position = {record: i for i, record in enumerate(record_ids)}
    records = data["records"][rows].astype(str)
    missing = sorted(set(records) - set(position))
    if missing:
        raise InputError(f"dataset rows of record(s) {', '.join(missing)} without a median beat")
    medians = data["median_beats"][[position[r] for r in records]]
    return model_inputs(config, data["beats"][rows], data["rr_features"][rows], medians)


def resolve_device(device: str | torch.device) -> torch.device:
    """``auto`` -> CUDA when available else CPU; asking for an absent CUDA is an InputError."""
    name = str(device)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(name)
    except RuntimeError as error:
        raise InputError(f"unknown device {name!r} (use auto, cpu or cuda)") from error
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise InputError(
            f"device {name!r} requested for the model but CUDA is not available in this torch "
            "build or machine; use 'auto' or 'cpu'"
        )
    if resolved.type not in ("cpu", "cuda"):
        raise InputError(f"unsupported device {name!r} (use auto, cpu or cuda)")
    return resolved


def batched_outputs(
    model: nn.Module,
    beats: np.ndarray | torch.Tensor,
    batch_size: int,
    device: str | torch.device,
    fn: Callable[[nn.Module, torch.Tensor], torch.Tensor] | None = None,
    *,
    train: bool = False,
) -> np.ndarray:
    """``fn(model, batch)`` (default: the logits) of `beats` in batches, rows concatenated.

    `beats` are (n, L) numpy beats (converted batch by batch to float32, shaped (b, 1, L)) or a
    tensor already shaped for the model; batches of `batch_size` run on `device` (the model is
    moved there) without autograd, in evaluation mode, or in training mode with `train` (BatchNorm
    then updates its statistics). The model's mode is restored afterwards. Returns a numpy array
    with the dtype of `fn`'s output; (0, 0) when there are no beats.
    """
    if batch_size < 1:
        raise InputError(f"batch_size must be >= 1, got {batch_size}")
    if fn is None:
        fn = _logits
    target = resolve_device(device)
    was_training = model.training
    model.to(target).train(train)
    parts = []
    try:
        with torch.no_grad() if train else torch.inference_mode():
            for start in range(0, beats.shape[0], batch_size):
                chunk = beats[start : start + batch_size]
                if isinstance(chunk, np.ndarray):
                    chunk = torch.from_numpy(np.ascontiguousarray(chunk, dtype=np.float32))
                    chunk = chunk[:, None, :]
                parts.append(fn(model, chunk.to(target)).cpu().numpy())
    finally:
        model.train(was_training)
    if not parts:
        return np.zeros((0, 0), dtype=np.float32)
    return np.concatenate(parts)


def _logits(model: nn.Module, batch: torch.Tensor) -> torch.Tensor:
    return model(batch)


def _probabilities(model: nn.Module, batch: torch.Tensor) -> torch.Tensor:
    return torch.softmax(model(batch), dim=1)


def predict_proba(
    model: BeatCNN,
    beats: np.ndarray,
    batch_size: int = INFERENCE_BATCH,
    device: str | torch.device = "cpu",
    rr_features: np.ndarray | None = None,
) -> np.ndarray:
    """Class probabilities (n, k) float32 of the input rows `beats` (n, W; see
    :func:`model_inputs`), in evaluation mode: the softmax of the logits, then the model's
    premature-beat decision when it has one (ecgbeats.prematurity), which reads the beats' RR
    features `rr_features` (n, RR_FEATURES): all of them, whichever the network takes."""
    beats = np.asarray(beats)
    if model.prematurity is not None and rr_features is None:
        raise InputError("predict_proba: the model's premature-beat decision needs RR features")
    width = model.config.input_width
    if beats.ndim != 2 or beats.shape[1] != width:
        raise InputError(f"predict_proba: inputs must be shaped (n, {width}), got {beats.shape}")
    if batch_size < 1:
        raise InputError(f"predict_proba: batch_size must be >= 1, got {batch_size}")
    probabilities = batched_outputs(model, beats, batch_size, device, _probabilities)
    if probabilities.size == 0:
        return np.zeros((beats.shape[0], model.config.n_classes), dtype=np.float32)
    if model.prematurity is not None:
        probabilities = decide(model.prematurity, probabilities, rr_features, RR_FEATURES)
    return probabilities.astype(np.float32, copy=False)


def predict_beats(
    model: BeatCNN,
    beats: np.ndarray,
    rr_features: np.ndarray,
    median_beat: np.ndarray,
    batch_size: int = INFERENCE_BATCH,
    device: str | torch.device = "cpu",
) -> np.ndarray:
    """:func:`predict_proba` of one recording's beats (n, L) with their RR features (n,
    RR_FEATURES) and the recording's median beat (L,)."""
    inputs = model_inputs(model.config, beats, rr_features, median_beat)
    return predict_proba(model, inputs, batch_size, device, rr_features)


def load_model(
    path: str | Path,
    expected_class_names: list[str] | np.ndarray | None = None,
    device: str | torch.device = "cpu",
) -> tuple[BeatCNN, list[str]]:
    """The model saved in checkpoint `path` (ecgbeats.artifacts), in evaluation mode on `device`.

    Raises InputError naming the file when it is missing, corrupt, not a checkpoint of this
    model, or its class names differ from `expected_class_names`.
    """
    checkpoint = load_checkpoint(path, expected_class_names)
    # Models saved before the RR branch, the beat reference and two leads: one lead, neither.
    stored = {
        "rr_features": (),
        "rr_hidden": 1,
        "beat_reference": "none",
        "leads": 1,
        **checkpoint.config,
    }
    try:
        config = CNNConfig(**stored)
    except (TypeError, InputError) as error:
        raise InputError(f"checkpoint {path}: invalid model config: {error}") from error
    model = BeatCNN(config)
    try:
        model.load_state_dict(checkpoint.state_dict, strict=True)
    except (RuntimeError, TypeError, AttributeError) as error:
        raise InputError(
            f"checkpoint {path}: weights do not fit the stored config: {error}"
        ) from error
    if checkpoint.prematurity is not None:
        try:
            model.set_prematurity(PrematurityModel.from_dict(checkpoint.prematurity))
        except InputError as error:
            raise InputError(f"checkpoint {path}: {error}") from error
    model.to(resolve_device(device)).eval()
    return model, checkpoint.class_names
