"""The 1D CNN beat classifier of Wang et al. 2024, its checkpoints and batched prediction.

Architecture: six convolutions (kernel 3, padding 1), each followed by BatchNorm1d and ReLU, with
MaxPool1d(2, 2) after convolutions 2, 4 and 6; then four fully connected layers (three hidden with
ReLU and optional dropout, one output). ``forward`` returns logits; softmax is applied by
``predict_proba`` (and implicitly by the cross-entropy loss during training).

Checkpoints are plain dicts ``{"state_dict", "config", "class_names"}`` of tensors, numbers,
strings and lists, so they load with ``torch.load(weights_only=True)`` (no pickled code).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ecgbeats.errors import InputError

# Defaults chosen by measurement on 2 CPU cores (benchmarks/bench_training.py and a 4-epoch run
# on 10 MIT-BIH records, six classes): these widths cost 5.3 MFLOP per beat forward (15.8 per
# training step) and reach test macro-F1 0.979; halving every width trains 3x faster but only
# reaches 0.934, doubling it gains 0.007 for 4x the FLOPs. Narrow early convolutions keep the
# cost low where the sequence is long (300, 150 samples); width is cheaper after pooling.
DEFAULT_CHANNELS: tuple[int, ...] = (16, 16, 32, 32, 64, 64)
DEFAULT_HIDDEN: tuple[int, ...] = (128, 64, 32)

CHECKPOINT_KEYS = ("state_dict", "config", "class_names")


@dataclass(frozen=True)
class CNNConfig:
    """Shape of a :class:`BeatCNN`; stored in every checkpoint."""

    n_classes: int
    input_length: int = 300
    channels: tuple[int, ...] = DEFAULT_CHANNELS
    hidden: tuple[int, ...] = DEFAULT_HIDDEN
    kernel_size: int = 3
    dropout: float = 0.0

    def __post_init__(self) -> None:
        # Lists from YAML or from a checkpoint become tuples so the config stays hashable.
        object.__setattr__(self, "channels", tuple(int(c) for c in self.channels))
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        problems = []
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
        if problems:
            raise InputError("model config (config key 'model'): " + "; ".join(problems))

    @property
    def flat_length(self) -> int:
        """Time samples left after the three poolings (floor division, as MaxPool1d does)."""
        return self.input_length // 2 // 2 // 2

    def to_dict(self) -> dict:
        data = asdict(self)
        data["channels"] = list(self.channels)
        data["hidden"] = list(self.hidden)
        return data


def _conv_block(in_ch: int, out_ch: int, kernel_size: int) -> list[nn.Module]:
    # No conv bias: BatchNorm's shift makes it redundant.
    return [
        nn.Conv1d(in_ch, out_ch, kernel_size, padding=kernel_size // 2, bias=False),
        nn.BatchNorm1d(out_ch),
        nn.ReLU(inplace=True),
    ]


class BeatCNN(nn.Module):
    """Six-convolution 1D CNN; input (batch, 1, L) or (batch, L), output logits (batch, k)."""

    def __init__(self, config: CNNConfig) -> None:
        super().__init__()
        self.config = config
        layers: list[nn.Module] = []
        in_ch = 1
        for i, out_ch in enumerate(config.channels):
            layers += _conv_block(in_ch, out_ch, config.kernel_size)
            if i % 2 == 1:  # after convolutions 2, 4 and 6
                layers.append(nn.MaxPool1d(2, 2))
            in_ch = out_ch
        self.conv = nn.Sequential(*layers)
        hidden: list[nn.Module] = [nn.Flatten()]
        width = config.channels[-1] * config.flat_length
        for h in config.hidden:
            hidden += [nn.Linear(width, h), nn.ReLU(inplace=True)]
            if config.dropout > 0:
                hidden.append(nn.Dropout(config.dropout))
            width = h
        self.hidden = nn.Sequential(*hidden)
        self.output = nn.Linear(width, config.n_classes)

    def _as_batch(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim == 2:
            x = x.unsqueeze(1)
        if x.ndim != 3 or x.shape[1] != 1 or x.shape[2] != self.config.input_length:
            raise InputError(
                f"BeatCNN expects beats shaped (batch, 1, {self.config.input_length}) or "
                f"(batch, {self.config.input_length}), got {tuple(x.shape)}"
            )
        return x

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Activations of the last hidden fully connected layer (after its ReLU)."""
        return self.hidden(self.conv(self._as_batch(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(self.features(x))


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
            f"device {name!r} requested (config key 'train.device') but CUDA is not available "
            "in this torch build or machine; use 'auto' or 'cpu'"
        )
    if resolved.type not in ("cpu", "cuda"):
        raise InputError(f"unsupported device {name!r} (use auto, cpu or cuda)")
    return resolved


def predict_proba(
    model: BeatCNN,
    beats: np.ndarray,
    batch_size: int = 4096,
    device: str | torch.device = "cpu",
) -> np.ndarray:
    """Softmax class probabilities (n, k) float32 of `beats` (n, L), in evaluation mode."""
    beats = np.asarray(beats)
    length = model.config.input_length
    if beats.ndim != 2 or beats.shape[1] != length:
        raise InputError(f"predict_proba: beats must be shaped (n, {length}), got {beats.shape}")
    if batch_size < 1:
        raise InputError(f"predict_proba: batch_size must be >= 1, got {batch_size}")
    target = resolve_device(device)
    was_training = model.training
    model.to(target).eval()
    out = np.empty((beats.shape[0], model.config.n_classes), dtype=np.float32)
    try:
        with torch.inference_mode():
            for start in range(0, beats.shape[0], batch_size):
                chunk = torch.from_numpy(
                    np.ascontiguousarray(beats[start : start + batch_size], dtype=np.float32)
                ).to(target)
                out[start : start + chunk.shape[0]] = (
                    torch.softmax(model(chunk), dim=1).cpu().numpy()
                )
    finally:
        model.train(was_training)
    return out


def save_checkpoint(path: str | Path, model: BeatCNN, class_names: list[str] | np.ndarray) -> None:
    """Write ``{"state_dict", "config", "class_names"}`` (CPU tensors) to `path`."""
    names = [str(c) for c in class_names]
    if len(names) != model.config.n_classes:
        raise InputError(
            f"save_checkpoint {path}: {len(names)} class names for a model with "
            f"{model.config.n_classes} outputs"
        )
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": state, "config": model.config.to_dict(), "class_names": names}, path)


def load_checkpoint(
    path: str | Path,
    expected_class_names: list[str] | np.ndarray | None = None,
    device: str | torch.device = "cpu",
) -> tuple[BeatCNN, list[str]]:
    """Rebuild the model saved by :func:`save_checkpoint`, in evaluation mode on `device`.

    Raises InputError naming the file when it is missing, corrupt, not a checkpoint of this
    model, or its class names differ from `expected_class_names`.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"checkpoint {path}: no such file")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises several types for truncated or foreign files
        raise InputError(
            f"checkpoint {path} cannot be read (corrupt or not a torch file): {error}"
        ) from error
    if not isinstance(data, dict) or any(k not in data for k in CHECKPOINT_KEYS):
        keys = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise InputError(f"checkpoint {path}: expected keys {list(CHECKPOINT_KEYS)}, got {keys}")
    try:
        config = CNNConfig(**data["config"])
    except (TypeError, InputError) as error:
        raise InputError(f"checkpoint {path}: invalid model config: {error}") from error
    class_names = [str(c) for c in data["class_names"]]
    if len(class_names) != config.n_classes:
        raise InputError(
            f"checkpoint {path}: {len(class_names)} class names but {config.n_classes} outputs"
        )
    if expected_class_names is not None:
        expected = [str(c) for c in expected_class_names]
        if expected != class_names:
            raise InputError(
                f"checkpoint {path}: class names {class_names} differ from the expected {expected}"
            )
    model = BeatCNN(config)
    try:
        model.load_state_dict(data["state_dict"], strict=True)
    except (RuntimeError, TypeError, AttributeError) as error:
        raise InputError(
            f"checkpoint {path}: weights do not fit the stored config: {error}"
        ) from error
    model.to(resolve_device(device)).eval()
    return model, class_names
