"""Premature supraventricular beats told from normal ones by their timing, not their shape.

An atrial or nodal premature beat (AAMI S) is conducted like a normal beat: its QRS looks like
the patient's normal one, and what sets it apart is that it comes early (a short previous RR,
often a longer next one) relative to the patient's own rhythm. The CNN sees the RR features too,
but cross-validation over DS1 patients showed it calls S from shape: most of its false S beats
were not premature at all (README "Premature beats by their timing"). This module splits the
decision: the CNN gives the probability that a beat is conducted normally (normal + premature
classes together), and a logistic regression on three log RR ratios, fitted on the training
beats of the two classes with balanced class weights, shares it between them. The other classes
keep the CNN's probabilities, so the result is again a probability per class.

A fibrillation gate can follow (:class:`FibrillationGate`): in atrial fibrillation or flutter
there is no organised atrial activity and so no premature atrial beat, however early a beat
comes. A logistic regression on the log of the beat's rhythm irregularity (the ``irregularity``
RR feature) and, optionally, on how alike the P waves around it are (``p_wave_regularity``,
ecgbeats.atrial: frequent premature beats make a rhythm irregular, but leave its P waves),
fitted on training beats labelled by the rhythm annotations in force at them, gives the
probability that a beat lies in fibrillation, and that share of its premature probability goes
back to the normal class.

Everything is read from the beats' RR features (ecgbeats.rhythm.rr_features, computed from the
R peaks, annotated or detected, and the lead), one code path for training, evaluation and new
recordings, which need no rhythm annotations. Being linear in named inputs, the decision
explains itself: its coefficients are the weight of each ratio and of each of the gate's inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ecgbeats.errors import InputError, raise_problems

#: The RR features (ecgbeats.rhythm.RR_FEATURES, in seconds) the ratios are computed from.
TIMING_INPUTS: tuple[str, ...] = ("previous", "next", "local", "record")

#: The model's inputs: log ratios, each (numerator, denominator) of TIMING_INPUTS. Ratios of
#: four intervals span three dimensions; these three are independent, so each coefficient is
#: the weight of one named ratio (cross-validation scored all five redundant ratios the same).
RATIOS: dict[str, tuple[str, str]] = {
    "previous_to_local": ("previous", "local"),  # premature relative to the current rate
    "next_to_previous": ("next", "previous"),  # the pause after a premature beat
    "local_to_record": ("local", "record"),  # a run of fast beats, relative to the patient
}


#: The fibrillation gate's inputs unless told otherwise (and those of checkpoints written before
#: it could read more than one).
DEFAULT_GATE_INPUTS: tuple[str, ...] = ("irregularity",)


@dataclass(frozen=True)
class PrematurityModel:
    """A fitted decision: which classes it separates (indices into the model's classes) and the
    logistic regression's weights of the log ratios (RATIOS order) and intercept."""

    normal: int
    premature: int
    coefficients: tuple[float, ...]
    intercept: float
    # Beats found in atrial fibrillation give their premature probability back to the normal
    # class (see FibrillationGate); None: no gate.
    fibrillation: FibrillationGate | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "coefficients", tuple(float(c) for c in self.coefficients))
        problems = []
        if len(self.coefficients) != len(RATIOS):
            problems.append(f"{len(self.coefficients)} coefficients for {len(RATIOS)} ratios")
        if not np.all(np.isfinite([*self.coefficients, self.intercept])):
            problems.append("coefficients and intercept must be finite")
        if self.normal == self.premature or min(self.normal, self.premature) < 0:
            problems.append(
                f"normal and premature must be two different class indices, got "
                f"{self.normal} and {self.premature}"
            )
        raise_problems("premature-beat decision", problems)

    def to_dict(self) -> dict:
        """Plain values (a checkpoint loads them without pickled code)."""
        gate = self.fibrillation
        return {
            "normal": int(self.normal),
            "premature": int(self.premature),
            "coefficients": list(self.coefficients),
            "intercept": float(self.intercept),
            "fibrillation": None if gate is None else gate.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> PrematurityModel:
        try:
            gate = data.get("fibrillation")
            return cls(
                int(data["normal"]),
                int(data["premature"]),
                tuple(data["coefficients"]),
                float(data["intercept"]),
                None if gate is None else FibrillationGate.from_dict(gate),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise InputError(f"premature-beat decision: invalid stored values: {error}") from error


def _columns(rr_features: np.ndarray, names: Sequence[str], wanted: Sequence[str]) -> np.ndarray:
    """The columns `wanted` (n, len(wanted)) float64 of RR features (n, len(names)) whose
    columns are named by `names`."""
    rr_features = np.asarray(rr_features, dtype=np.float64)
    names = [str(name) for name in names]
    missing = [name for name in wanted if name not in names]
    if missing:
        raise InputError(
            f"the premature-beat decision needs the RR feature{'s' if len(wanted) > 1 else ''} "
            f"{', '.join(wanted)}; {', '.join(missing)} missing from {names}"
        )
    if rr_features.ndim != 2 or rr_features.shape[1] != len(names):
        raise InputError(
            f"RR features must be shaped (n, {len(names)}) for {names}, got {rr_features.shape}"
        )
    return rr_features[:, [names.index(name) for name in wanted]]


def timing_ratios(rr_features: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """The log ratios (n, len(RATIOS)) float64 of RR features (n, len(names)) whose columns are
    named by `names` (they must include TIMING_INPUTS)."""
    # Intervals are clipped to at least 0.15 s where they are computed (ecgbeats.rhythm); the
    # floor only keeps a foreign zero from becoming -inf.
    logs = np.log(np.maximum(_columns(rr_features, names, TIMING_INPUTS), 1e-3))
    column = {name: logs[:, i] for i, name in enumerate(TIMING_INPUTS)}
    return np.stack([column[a] - column[b] for a, b in RATIOS.values()], axis=1)


def fit_prematurity(
    rr_features: np.ndarray,
    names: Sequence[str],
    labels: np.ndarray,
    normal: int,
    premature: int,
    in_fibrillation: np.ndarray | None,
    gate_inputs: Sequence[str] = DEFAULT_GATE_INPUTS,
) -> PrematurityModel:
    """Fit the decision on the beats of classes `normal` and `premature` among `labels` (n,),
    with their RR features (n, len(names)); the two classes weigh equally (balanced weights),
    so a beat's probability of being premature is 0.5 where its timing is equally typical of
    both. Other classes' beats are not used. With `in_fibrillation` (n,) bool, whether atrial
    fibrillation or flutter was annotated at each beat, the decision also gets a fibrillation
    gate fitted on all n beats' `gate_inputs` (of GATE_INPUTS; `names` must include them)."""
    labels = np.asarray(labels)
    if labels.shape != (np.asarray(rr_features).shape[0],):
        raise InputError(f"{labels.size} labels for {np.asarray(rr_features).shape[0]} beats")
    used = np.isin(labels, [normal, premature])
    counts = {c: int(np.sum(labels == c)) for c in (normal, premature)}
    if min(counts.values()) < 2:
        raise InputError(
            "the premature-beat decision needs at least 2 training beats of each of its two "
            f"classes, got {counts}"
        )
    # Imported here: the rules that only apply a fitted decision need no scikit-learn.
    from sklearn.linear_model import LogisticRegression

    ratios = timing_ratios(np.asarray(rr_features)[used], names)
    regression = LogisticRegression(class_weight="balanced", max_iter=1000)
    regression.fit(ratios, labels[used] == premature)
    gate = None
    if in_fibrillation is not None:
        gate = fit_fibrillation_gate(
            rr_features, names, np.asarray(in_fibrillation, dtype=bool), gate_inputs
        )
    return PrematurityModel(
        normal, premature, tuple(regression.coef_[0]), float(regression.intercept_[0]), gate
    )


def premature_probability(
    model: PrematurityModel, rr_features: np.ndarray, names: Sequence[str]
) -> np.ndarray:
    """Per beat (n,), the probability that a conducted beat with this timing is premature."""
    score = timing_ratios(rr_features, names) @ np.asarray(model.coefficients) + model.intercept
    return 1.0 / (1.0 + np.exp(-score))


def decide(
    model: PrematurityModel,
    probabilities: np.ndarray,
    rr_features: np.ndarray,
    names: Sequence[str],
) -> np.ndarray:
    """Class probabilities (n, k) with the normal and premature classes' joint probability
    shared between them by the beats' timing, then, with a fibrillation gate, the premature
    share of beats in fibrillation given back to the normal class; the other classes' are
    unchanged."""
    probabilities = np.asarray(probabilities)
    if probabilities.ndim != 2 or max(model.normal, model.premature) >= probabilities.shape[1]:
        raise InputError(
            f"probabilities shaped {probabilities.shape} lack the decision's classes "
            f"{model.normal} and {model.premature}"
        )
    if probabilities.shape[0] != np.asarray(rr_features).shape[0]:
        raise InputError(
            f"{probabilities.shape[0]} rows of probabilities but "
            f"{np.asarray(rr_features).shape[0]} of RR features"
        )
    premature = premature_probability(model, rr_features, names)
    conducted = probabilities[:, model.normal] + probabilities[:, model.premature]
    decided = probabilities.copy()
    decided[:, model.normal] = conducted * (1.0 - premature)
    decided[:, model.premature] = conducted * premature
    if model.fibrillation is None:
        return decided
    share = fibrillation_probability(model.fibrillation, rr_features, names)
    return gate_premature(decided, share, model.normal, model.premature)


def _log_irregularity(irregularity: np.ndarray) -> np.ndarray:
    # A perfectly regular stretch has 0; the floor keeps its log finite.
    return np.log(np.maximum(irregularity, 1e-3))


#: What the fibrillation gate may read (RR features), each as its regression sees it.
GATE_INPUTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    # Logged: fibrillation's irregularity is many times a regular rhythm's.
    "irregularity": _log_irregularity,
    # A correlation (ecgbeats.atrial), already on a linear scale.
    "p_wave_regularity": lambda regularity: regularity,
}


def _gate_input_problems(inputs: Sequence[str]) -> list[str]:
    """What is wrong with a gate's `inputs` (empty: nothing): one or more of GATE_INPUTS, each
    once."""
    unknown = [name for name in inputs if name not in GATE_INPUTS]
    if unknown or not inputs or len(set(inputs)) < len(inputs):
        return [f"inputs {list(inputs)}: one or more of {', '.join(GATE_INPUTS)}, each once"]
    return []


@dataclass(frozen=True)
class FibrillationGate:
    """A fitted logistic regression of atrial fibrillation or flutter on a beat's RR features
    `inputs` (of GATE_INPUTS, each transformed as listed there): one weight per input, and
    the intercept."""

    coefficients: tuple[float, ...]
    intercept: float
    inputs: tuple[str, ...] = DEFAULT_GATE_INPUTS

    def __post_init__(self) -> None:
        object.__setattr__(self, "coefficients", tuple(float(c) for c in self.coefficients))
        object.__setattr__(self, "inputs", tuple(str(name) for name in self.inputs))
        problems = []
        problems.extend(_gate_input_problems(self.inputs))
        if len(self.coefficients) != len(self.inputs):
            problems.append(f"{len(self.coefficients)} coefficients for {len(self.inputs)} inputs")
        if not np.all(np.isfinite([*self.coefficients, self.intercept])):
            problems.append("coefficients and intercept must be finite")
        raise_problems("fibrillation gate", problems)

    def to_dict(self) -> dict:
        return {
            "inputs": list(self.inputs),
            "coefficients": list(self.coefficients),
            "intercept": float(self.intercept),
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> FibrillationGate:
        if "coefficient" in data:  # a checkpoint from before the gate took several inputs
            return cls((float(data["coefficient"]),), float(data["intercept"]), DEFAULT_GATE_INPUTS)
        return cls(tuple(data["coefficients"]), float(data["intercept"]), tuple(data["inputs"]))


def _gate_inputs(
    rr_features: np.ndarray, names: Sequence[str], inputs: Sequence[str]
) -> np.ndarray:
    """The gate's regression inputs (n, len(inputs)) from RR features (n, len(names))."""
    columns = _columns(rr_features, names, inputs)
    missing = [name for i, name in enumerate(inputs) if np.isnan(columns[:, i]).any()]
    if missing:
        raise InputError(
            f"the fibrillation gate reads {', '.join(missing)}, which some beats lack (NaN: RR "
            "features computed without the lead, see ecgbeats.rhythm.rr_features)"
        )
    return np.stack([GATE_INPUTS[name](columns[:, i]) for i, name in enumerate(inputs)], axis=1)


def fit_fibrillation_gate(
    rr_features: np.ndarray,
    names: Sequence[str],
    in_fibrillation: np.ndarray,
    inputs: Sequence[str] = DEFAULT_GATE_INPUTS,
) -> FibrillationGate:
    """Fit the gate on training beats: their RR features (n, len(names)), of which it reads
    `inputs`, and whether an annotated atrial fibrillation or flutter was in force at them (n,)
    bool; the two groups weigh equally."""
    inputs = tuple(inputs)
    raise_problems("fibrillation gate", _gate_input_problems(inputs))
    in_fibrillation = np.asarray(in_fibrillation, dtype=bool)
    if in_fibrillation.shape != (np.asarray(rr_features).shape[0],):
        raise InputError(
            f"{np.asarray(rr_features).shape[0]} beats for {in_fibrillation.shape} rhythm labels"
        )
    counts = {"in fibrillation": int(in_fibrillation.sum()), "not": int((~in_fibrillation).sum())}
    if min(counts.values()) < 2:
        raise InputError(f"the fibrillation gate needs at least 2 beats of each kind, got {counts}")
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415 (see fit_prematurity)

    regression = LogisticRegression(class_weight="balanced", max_iter=1000)
    regression.fit(_gate_inputs(rr_features, names, inputs), in_fibrillation)
    return FibrillationGate(tuple(regression.coef_[0]), float(regression.intercept_[0]), inputs)


def fibrillation_probability(
    gate: FibrillationGate, rr_features: np.ndarray, names: Sequence[str]
) -> np.ndarray:
    """Per beat (n,), the probability that it lies in atrial fibrillation or flutter, from its
    RR features (n, len(names))."""
    inputs = _gate_inputs(rr_features, names, gate.inputs)
    score = inputs @ np.asarray(gate.coefficients) + gate.intercept
    return 1.0 / (1.0 + np.exp(-score))


def gate_premature(
    probabilities: np.ndarray, fibrillation: np.ndarray, normal: int, premature: int
) -> np.ndarray:
    """Class probabilities (n, k) with the premature class's probability moved to the normal
    class in the share `fibrillation` (n,): without organised atrial activity there are no
    premature atrial beats, so a beat in fibrillation that comes early is a normal one."""
    probabilities = np.asarray(probabilities)
    fibrillation = np.asarray(fibrillation, dtype=np.float64)
    if fibrillation.shape != (probabilities.shape[0],):
        raise InputError(
            f"{fibrillation.shape[0]} fibrillation probabilities for {probabilities.shape[0]} beats"
        )
    gated = probabilities.copy()
    moved = probabilities[:, premature] * fibrillation
    gated[:, premature] -= moved
    gated[:, normal] += moved
    return gated
