"""Semantic checks of the workflow config: what the JSON schema cannot express.

`check_config` runs while the Snakefile is parsed, after the schema validation and before any
job is planned, so a bad value stops the run at once (nothing is computed, nothing deleted) with
a message naming the config key. Checks that need the accelerator of the executing machine
(`device_problems`) run from the Snakefile's `onstart`, when the executor is known. Nothing here
reads signals: checks that need the data stay in the jobs (they name the record or file).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

# wfdb's beat annotation codes: the only symbols a class map can meaningfully map.
BEAT_SYMBOLS = frozenset("NLRBAaJSVrFejnE/fQ?")
# The beats are cut at this rate (MIT-BIH's); records at other rates are resampled to it.
TRAINING_FS = 360.0


class ConfigError(ValueError):
    """A config value that cannot work; the message names the key."""


def read_checksums(checksum_file: str | Path) -> dict[str, str]:
    """File name -> SHA256 of a sha256sum-format list (the library's reader, config errors)."""
    from ecgbeats.download import read_checksums as read_list
    from ecgbeats.errors import InputError

    if not Path(checksum_file).is_file():
        raise ConfigError(f"config key 'checksums': no such file {checksum_file}")
    try:
        return read_list(checksum_file)
    except InputError as error:
        raise ConfigError(f"config key 'checksums': {error}") from None


def record_ids(checksum_file: Path) -> set[str]:
    """Record ids listed in a sha256sum-format file (names like `100.dat`)."""
    return {Path(name).stem for name in read_checksums(checksum_file)}


def header_length(header: Path) -> tuple[float, int] | None:
    """(sampling rate, samples) from a WFDB header's record line; None when unreadable.

    Read by hand (the first field line only): the Snakefile is parsed by every job, and this
    must stay cheap. A missing or malformed header is left to the jobs, which name the file.
    """
    try:
        lines = header.read_text(errors="replace").splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        try:
            fs = float(fields[2].split("/")[0]) if len(fields) > 2 else 250.0
            length = int(fields[3]) if len(fields) > 3 else 0
        except ValueError:
            return None
        return fs, length
    return None


def _class_map_problems(class_maps: Mapping[str, Mapping[str, str]]) -> Iterable[str]:
    for task, symbol_map in class_maps.items():
        unknown = sorted(set(symbol_map) - BEAT_SYMBOLS)
        if unknown:
            yield (
                f"config key 'class_maps.{task}': {', '.join(map(repr, unknown))} "
                f"{'is not a beat symbol' if len(unknown) == 1 else 'are not beat symbols'} "
                f"(beat symbols: {''.join(sorted(BEAT_SYMBOLS))})"
            )
        classes = set(symbol_map.values())
        if len(classes) < 2:
            yield (
                f"config key 'class_maps.{task}': every symbol maps to "
                f"{', '.join(sorted(classes)) or 'nothing'}; a classifier needs at least two "
                "classes"
            )


def _split_problems(config: Mapping, known: set[str]) -> Iterable[str]:
    split = config["split"]
    if split["scheme"] != "inter":
        return
    inter = split["inter"]
    lists = {name: set(inter[name]) for name in ("train_records", "test_records")}
    lists["excluded_records"] = set(inter["excluded_records"])
    for name, ids in lists.items():
        unknown = sorted(ids - known)
        if unknown:
            yield f"config key 'split.inter.{name}': unknown record id(s) {', '.join(unknown)}"
    names = list(lists)
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            both = sorted(lists[first] & lists[second])
            if both:
                yield (
                    f"config keys 'split.inter.{first}' and 'split.inter.{second}': record(s) "
                    f"{', '.join(both)} are in both"
                )
    records = set(config["records"])
    for name in ("train_records", "test_records"):
        if not lists[name] & records:
            yield (
                f"config keys 'records' and 'split.inter.{name}': none of the "
                f"{name.split('_')[0]} records is among the configured records"
            )


def _beat_window_problems(config: Mapping, data_dir: Path) -> Iterable[str]:
    beats = config["beats"]
    window = beats["before"] + beats["after"]
    if window < 8:
        yield "config keys 'beats.before' + 'beats.after' must be at least 8 samples"
        return
    # Only headers that are already there: the others are downloaded and checked by the jobs.
    for record in config["records"]:
        found = header_length(data_dir / f"{record}.hea")
        if found is None or found[0] <= 0 or found[1] <= 0:
            continue
        fs, length = found
        at_training_rate = int(length * TRAINING_FS / fs)
        if window > at_training_rate:
            yield (
                f"config keys 'beats.before' + 'beats.after': the beat window of {window} "
                f"samples ({window / TRAINING_FS:.1f} s at {TRAINING_FS:g} Hz) is longer than "
                f"record {record} ({at_training_rate} samples at {TRAINING_FS:g} Hz)"
            )


def _denoise_problems(denoise: Mapping) -> Iterable[str]:
    import pywt  # light (no numba/torch); only when the Snakefile is parsed

    if denoise["wavelet"] not in pywt.wavelist(kind="discrete"):
        yield (
            f"config key 'denoise.wavelet': {denoise['wavelet']!r} is not a discrete wavelet "
            "of PyWavelets (e.g. db5, sym8, coif3; see pywt.wavelist(kind='discrete'))"
        )
    too_deep = sorted(d for d in denoise["remove_details"] if d > denoise["level"])
    if too_deep:
        yield (
            f"config key 'denoise.remove_details': detail level(s) {too_deep} exceed "
            f"'denoise.level' = {denoise['level']}"
        )


def _balance_problems(config: Mapping) -> Iterable[str]:
    balance = config["balance"]
    power = balance.get("class_weight_power", 1)
    if power != 1 and balance["method"] != "class_weight":
        # A power that weighs nothing would still change the params and retrain every model.
        yield (
            f"config key 'balance.class_weight_power' ({power}): only for method class_weight, "
            f"not {balance['method']}"
        )
    strategy = balance["sampling_strategy"]
    if not isinstance(strategy, Mapping):
        return
    classes = {c for task in config["tasks"] for c in config["class_maps"][task].values()}
    unknown = sorted(set(strategy) - classes)
    if unknown:
        yield (
            f"config key 'balance.sampling_strategy': {', '.join(unknown)} is not a class of "
            f"any configured task ({', '.join(sorted(classes))})"
        )


def _classify_problems(config: Mapping) -> Iterable[str]:
    classify = config["classify"]
    if classify["task"] not in config["class_maps"]:
        yield f"config key 'classify.task': {classify['task']} is not defined under 'class_maps'"
    names = [Path(p).name for p in classify["records"]]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        yield (
            f"config key 'classify.records': records share the file name(s) "
            f"{', '.join(duplicated)}; outputs are named after it (results/classify/{{name}}/)"
        )
    for task in classify["annotation_symbols"]:
        if task not in config["class_maps"]:
            yield (
                f"config key 'classify.annotation_symbols.{task}': {task} is not defined "
                "under 'class_maps'"
            )
            continue
        classes = set(config["class_maps"][task].values())
        unknown = sorted(set(classify["annotation_symbols"][task]) - classes)
        if unknown:
            yield (
                f"config key 'classify.annotation_symbols.{task}': {', '.join(unknown)} is not "
                f"a class of task {task}"
            )


def external_records(database: Mapping, base_dir: Path) -> list[str]:
    """The records of an external database: those listed, else every record of its folder with
    a header and an annotation file (none when the folder is missing: its jobs say so)."""
    if database.get("records"):
        return list(database["records"])
    folder = base_dir / database["data_dir"]
    extension = database["annotation_extension"]
    if not folder.is_dir():
        return []
    return sorted(
        header.stem
        for header in folder.glob("*.hea")
        if (folder / f"{header.stem}.{extension}").is_file()
    )


def _external_problems(config: Mapping, base_dir: Path) -> Iterable[str]:
    external = config["external"]
    names = [database["name"] for database in external["databases"]]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        yield (
            f"config key 'external.databases': the name(s) {', '.join(duplicated)} are used "
            "more than once; each database has its own results (results/external/{name}/)"
        )
    for i, database in enumerate(external["databases"]):
        key = f"external.databases[{i}]"
        symbol_map = database.get("symbol_map", {})
        unknown = sorted(v for v in set(symbol_map.values()) if v not in BEAT_SYMBOLS)
        if unknown:
            yield (
                f"config key '{key}.symbol_map' (database {database['name']}): "
                f"{', '.join(map(repr, unknown))} not MIT-BIH beat symbol(s) (beat symbols: "
                f"{''.join(sorted(BEAT_SYMBOLS))})"
            )
        folder = base_dir / database["data_dir"]
        missing = [r for r in database.get("records", []) if not (folder / f"{r}.hea").is_file()]
        if missing:
            yield (
                f"config key '{key}.records' (database {database['name']}): no header "
                f"{', '.join(f'{r}.hea' for r in missing)} in {database['data_dir']}"
            )
    for i, model in enumerate(external["models"]):
        if model["task"] not in config["class_maps"]:
            yield (
                f"config key 'external.models[{i}].task': {model['task']} is not defined "
                "under 'class_maps'"
            )
    yield from _training_database_problems(config, base_dir)


def _training_database_problems(config: Mapping, base_dir: Path) -> Iterable[str]:
    """A database with `train: true` feeds every inter-patient model's training part: there must
    be such a model, it must not also score the database, and the database must have records."""
    external = config["external"]
    for i, database in enumerate(external["databases"]):
        if not database.get("train"):
            continue
        key, name = f"external.databases[{i}].train", database["name"]
        if config["split"]["scheme"] != "inter":
            yield (
                f"config key '{key}' (database {name}): only the inter-patient models train on "
                "other databases, and 'split.scheme' is intra"
            )
        for j, model in enumerate(external["models"]):
            if model["split"] == "inter":
                yield (
                    f"config keys '{key}' and 'external.models[{j}]': database {name} trains "
                    f"the inter-patient models, so scoring it with inter/{model['task']} would "
                    "score the beats it trained on; score it with intra models only, or set "
                    "train: false"
                )
        records = external_records(database, base_dir)
        if not records:
            yield (
                f"config key '{key}' (database {name}): no record with a header and an "
                f"annotation file (.{database['annotation_extension']}) in {database['data_dir']}"
            )
        # MIT-BIH's own records under another name would put DS2 patients into training.
        folder = (base_dir / database["data_dir"]).resolve()
        if folder == (base_dir / config["data_dir"]).resolve():
            yield (
                f"config key '{key}' (database {name}): its data_dir is MIT-BIH's own "
                f"('data_dir'); a training database must share no patient with the test records"
            )
        elif set(records) & set(config["records"]):
            shared = ", ".join(sorted(set(records) & set(config["records"])))
            yield (
                f"config key '{key}' (database {name}): record(s) {shared} carry MIT-BIH record "
                "names; a training database must share no patient with the test records"
            )


def _noise_problems(noise: Mapping, base_dir: Path) -> Iterable[str]:
    if not noise["records_dir"]:
        return
    folder = base_dir / noise["records_dir"]
    missing = [s for s in noise["sources"] if not (folder / f"{s}.hea").is_file()]
    if missing:
        yield (
            f"config key 'noise.records_dir': no noise record {', '.join(missing)} (header "
            f"<source>.hea) in {noise['records_dir']}; leave it empty to generate the noise"
        )


def _prematurity_problems(config: Mapping) -> Iterable[str]:
    for task, classes in config["prematurity"].items():
        if task not in config["class_maps"]:
            yield f"config key 'prematurity.{task}': no task {task} under 'class_maps'"
            continue
        names = set(config["class_maps"][task].values())
        for role in ("normal", "premature"):
            if classes[role] not in names:
                yield (
                    f"config key 'prematurity.{task}.{role}': {classes[role]} is not a class of "
                    f"task {task} ({', '.join(sorted(names))})"
                )
        if classes["normal"] == classes["premature"]:
            yield f"config key 'prematurity.{task}': normal and premature are the same class"
        unnamed = [label for label in classes["fibrillation"] if not label.startswith("(")]
        if unnamed:
            yield (
                f"config key 'prematurity.{task}.fibrillation': {', '.join(unnamed)}: rhythm "
                'annotations start with \'(\' (MIT-BIH: "(AFIB", "(AFL")'
            )


def config_problems(config: Mapping, base_dir: Path) -> list[str]:
    """Every semantic problem of a schema-valid `config`; paths are relative to `base_dir`."""
    problems: list[str] = []
    try:
        known = record_ids(base_dir / config["checksums"])
    except ConfigError as error:
        return [str(error)]
    unknown = [r for r in config["records"] if r not in known]
    if unknown:
        problems.append(
            f"config key 'records': unknown record id(s) {', '.join(unknown)}; valid ids are "
            f"those listed in {config['checksums']} (config key 'checksums')"
        )
    missing_tasks = [t for t in config["tasks"] if t not in config["class_maps"]]
    if missing_tasks:
        problems.append(
            f"config key 'tasks': {', '.join(missing_tasks)} not defined under 'class_maps'"
        )
    problems += _class_map_problems(config["class_maps"])
    problems += _split_problems(config, known)
    problems += _beat_window_problems(config, base_dir / config["data_dir"])
    problems += _denoise_problems(config["denoise"])
    if not missing_tasks:
        problems += _balance_problems(config)
    problems += _classify_problems(config)
    problems += _prematurity_problems(config)
    problems += _external_problems(config, base_dir)
    problems += _noise_problems(config["noise"], base_dir)
    umap = config["umap"]
    if umap["n_neighbors"] >= umap["max_points"]:
        problems.append(
            f"config keys 'umap.n_neighbors' ({umap['n_neighbors']}) and 'umap.max_points' "
            f"({umap['max_points']}): the neighbourhood must be smaller than the embedded beats"
        )
    for task, table in config["evaluation"]["paper_tables"].items():
        if not (base_dir / table).is_file():
            problems.append(f"config key 'evaluation.paper_tables.{task}': no such file {table}")
    return problems


def check_config(config: Mapping, base_dir: Path) -> None:
    """Raise one ConfigError listing every problem of `config` (none: return quietly)."""
    problems = config_problems(config, Path(base_dir))
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))


def device_problems(config: Mapping, cuda_available: bool) -> list[str]:
    """Devices named in the config that this machine lacks (CUDA asked for, none present)."""
    return [
        f"config key '{key}': {config[section]['device']!r} asks for CUDA, but no CUDA device "
        "is available on this machine (use 'auto' or 'cpu', or run where a GPU is)"
        for section, key in (("train", "train.device"), ("evaluation", "evaluation.device"))
        if str(config[section]["device"]).startswith("cuda") and not cuda_available
    ]
