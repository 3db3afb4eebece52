"""Between-workflow output cache (`--cache`, $SNAKEMAKE_OUTPUT_CACHE) of per-record preprocessing.

Two fresh copies of the workflow share one cache: the second takes the beats of both records from
the cache without running the preprocessing script, each record has its own entry, and a changed
preprocessing parameter misses the cache.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from workflow_runner import WorkflowCopy

REPO = Path(__file__).resolve().parents[1]
RECORDS = ("900", "901")


def copy_workflow(target: Path) -> Path:
    return WorkflowCopy(target).directory


def run_preprocessing(
    workdir: Path,
    tiny_db: Path,
    cache: Path,
    *extra_args: str,
    targets: Sequence[str] = (),
    own_data_dir: bool = False,
) -> subprocess.CompletedProcess[str]:
    """`snakemake --cache` on `targets` (default: the records' beats) of the tiny database
    (read in place unless `own_data_dir`: then a config file in `extra_args` sets data_dir)."""
    env = {
        **os.environ,
        "SNAKEMAKE_OUTPUT_CACHE": str(cache),
        "MPLBACKEND": "Agg",
        "NUMBA_CACHE_DIR": str(cache.parent / "numba"),
    }
    data_dir = [] if own_data_dir else [f"data_dir={tiny_db}"]
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "--cores",
        "2",
        "--cache",
        *extra_args,
        "--config",
        *data_dir,
        f"checksums={tiny_db / 'SHA256SUMS'}",
        f"records=[{','.join(repr(r) for r in RECORDS)}]",
        "--",
        *(targets or [f"results/beats/{record}.npz" for record in RECORDS]),
    ]
    result = subprocess.run(
        command, cwd=workdir, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def beats_arrays(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def test_preprocessing_comes_from_the_cache_in_a_fresh_workflow(
    tiny_db: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()

    first = copy_workflow(tmp_path / "first")
    log = run_preprocessing(first, tiny_db, cache)
    output = log.stdout + log.stderr
    for record in RECORDS:
        assert f"Moving output file results/beats/{record}.npz to cache" in output, output
        assert (first / "logs" / "preprocess" / f"{record}.log").stat().st_size > 0
    entries = sorted(p for p in cache.iterdir() if p.suffix == ".npz")
    # The provenance hash ignores wildcards; the upstream `record` params keep records apart.
    assert len(entries) == len(RECORDS), entries

    second = copy_workflow(tmp_path / "second")
    log = run_preprocessing(second, tiny_db, cache)
    output = log.stdout + log.stderr
    assert "Moving output file" not in output, output
    for record in RECORDS:
        beats = second / "results" / "beats" / f"{record}.npz"
        assert f"Symlinking output file results/beats/{record}.npz from cache" in output, output
        # The script never ran here: Snakemake only touched its log, which the script fills.
        assert (second / "logs" / "preprocess" / f"{record}.log").stat().st_size == 0
        assert beats.is_symlink() and beats.resolve().parent == cache.resolve()
        fetched = beats_arrays(beats)
        original = beats_arrays(first / "results" / "beats" / f"{record}.npz")
        assert fetched.keys() == original.keys()
        for key in original:
            np.testing.assert_array_equal(fetched[key], original[key], err_msg=key)
        assert str(fetched["record"]) == record

    # A preprocessing parameter is part of the hash: new entries, the script runs again.
    third = copy_workflow(tmp_path / "third")
    (third / "shorter.yaml").write_text("beats: {before: 100, after: 100}\n")
    log = run_preprocessing(third, tiny_db, cache, "--configfile", "shorter.yaml")
    output = log.stdout + log.stderr
    for record in RECORDS:
        assert f"Moving output file results/beats/{record}.npz to cache" in output, output
        assert beats_arrays(third / "results" / "beats" / f"{record}.npz")["beats"].shape[1] == 200
    assert len([p for p in cache.iterdir() if p.suffix == ".npz"]) == 2 * len(RECORDS)

    # The library sources a rule's script imports are part of the hash too: an edited
    # denoising module must not be served the beats that the old one made.
    fourth = copy_workflow(tmp_path / "fourth")
    with (fourth / "workflow" / "scripts" / "ecgbeats" / "denoising.py").open("a") as module:
        module.write("\n# an edit\n")
    log = run_preprocessing(fourth, tiny_db, cache)
    output = log.stdout + log.stderr
    for record in RECORDS:
        assert f"Moving output file results/beats/{record}.npz to cache" in output, output
    assert len([p for p in cache.iterdir() if p.suffix == ".npz"]) == 3 * len(RECORDS)


@pytest.mark.parametrize("rule", ["download_record", "preprocess_record"])
def test_cached_rules_are_marked(rule: str) -> None:
    """Only these rules are cached; Snakemake refuses `benchmark` on them."""
    text = "\n".join(p.read_text() for p in (REPO / "workflow" / "rules").glob("*.smk"))
    block = text[text.index(f"rule {rule}:") :].split("\nrule ")[0]
    assert "cache: True" in block
    assert "benchmark:" not in block


def test_downloads_come_from_the_cache_one_entry_per_record(tiny_db: Path, tmp_path: Path) -> None:
    """Download outputs are multiext (.hea/.dat/.atr): each file is cached under the job's hash
    plus its extension; records differ only by wildcard, so the `record` param keeps them apart."""
    from local_physionet import fill_database, serve

    cache = tmp_path / "cache"
    cache.mkdir()
    fill_database(tmp_path / "server", tiny_db, RECORDS)
    targets = [f"results/data/verified/{record}.sha256" for record in RECORDS]
    with serve(tmp_path / "server") as physionet:
        outputs = {}
        for name in ("first", "second"):
            workdir = copy_workflow(tmp_path / name)
            (workdir / "download.yaml").write_text(
                f"data_dir: {workdir / 'mitdb'}\n"
                f"download: {{base_url: '{physionet.base_url}', database: mitdb/1.0.0}}\n"
            )
            log = run_preprocessing(
                workdir,
                tiny_db,
                cache,
                "--configfile",
                "download.yaml",
                targets=targets,
                own_data_dir=True,
            )
            outputs[name] = log.stdout + log.stderr
        served = sum(physionet.requests.values())

    assert "Moving output file" in outputs["first"]
    assert "Moving output file" not in outputs["second"], outputs["second"]
    # The first workflow fetched every file once (plus any retries); the second none.
    assert served >= 3 * len(RECORDS)
    entries = sorted(p.name for p in cache.iterdir() if p.is_file())
    hashes = {name.split(".")[0] for name in entries}
    assert len(hashes) == len(RECORDS), entries
    assert {Path(name).suffix for name in entries} == {".hea", ".dat", ".atr"}
    for record in RECORDS:
        for extension in (".hea", ".dat", ".atr"):
            fetched = tmp_path / "second" / "mitdb" / f"{record}{extension}"
            assert fetched.is_symlink(), fetched
            assert fetched.read_bytes() == (tiny_db / f"{record}{extension}").read_bytes()
