"""Report captions (workflow/report/*.rst) render from the config and wildcards only.

A caption that read `snakemake.params` broke silently when its figure moved to another rule
without those params (the report showed docutils' "System Message" instead of the text); the
config is the same for every rule, so captions take settings from it.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import jinja2
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
CAPTIONS = sorted((REPO_ROOT / "workflow" / "report").glob("*.rst"))


@pytest.mark.parametrize("caption", CAPTIONS, ids=[c.name for c in CAPTIONS])
def test_caption_renders_from_config_and_wildcards(caption: Path):
    text = caption.read_text()
    assert "snakemake.params" not in text, f"{caption.name} reads params; use snakemake.config"
    config = yaml.safe_load((REPO_ROOT / "config.yaml").read_text())
    wildcards = SimpleNamespace(
        task="six", split="intra", record="100", name="rec", table="t", database="db"
    )
    template = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(text)
    rendered = template.render(
        snakemake=SimpleNamespace(config=config, wildcards=wildcards), c=config
    )
    # An empty value leaves an empty inline literal, which docutils reports as broken markup.
    assert "````" not in rendered and rendered.count("``") % 2 == 0


def test_workflow_description_follows_the_inter_patient_config():
    from snakemake.utils import update_config  # noqa: PLC0415 (only this test needs Snakemake)

    config = yaml.safe_load((REPO_ROOT / "config.yaml").read_text())
    update_config(config, yaml.safe_load((REPO_ROOT / "config" / "inter_patient.yaml").read_text()))
    text = (REPO_ROOT / "workflow" / "report" / "workflow.rst").read_text()
    template = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(text)
    rendered = " ".join(template.render(snakemake=SimpleNamespace(config=config)).split())
    assert "**Premature-beat decision.** For task ``aami``, the network's probability" in rendered
    assert "training beats annotated (AFIB, (AFL, finds beats in atrial fibrillation" in rendered
    assert "P waves" not in rendered
    config["prematurity"]["aami"]["fibrillation_inputs"] = ["irregularity", "p_wave_regularity"]
    with_p_waves = " ".join(template.render(snakemake=SimpleNamespace(config=config)).split())
    assert "around it) and on how alike the P waves of the beats around it are and" in with_p_waves
    config["prematurity"]["aami"]["fibrillation_inputs"] = ["p_wave_regularity"]
    p_waves_only = " ".join(template.render(snakemake=SimpleNamespace(config=config)).split())
    assert "regression, on how alike the P waves of the beats around it are and" in p_waves_only
    assert "irregularity" not in p_waves_only.split("A second logistic")[1].split("**")[0]
    assert "focal (gamma 2.0) loss" in rendered
    assert "training part also holds" not in rendered
    config["external"]["databases"] = [
        {"name": "svdb", "train": True},
        {"name": "incart", "train": False},
    ]
    trained = " ".join(template.render(snakemake=SimpleNamespace(config=config)).split())
    assert "The training part also holds every annotated beat of database ``svdb``" in trained
    assert "incart" not in trained
    ec57 = (REPO_ROOT / "workflow" / "report" / "evaluation_ec57.rst").read_text()
    for split, said in (("inter", True), ("intra", False)):
        wildcards = SimpleNamespace(task="aami", split=split)
        caption = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(ec57)
        text = " ".join(
            caption.render(snakemake=SimpleNamespace(config=config, wildcards=wildcards)).split()
        )
        assert ("also trained on the beats of svdb" in text) is said, split
    paper = template.render(
        snakemake=SimpleNamespace(config=yaml.safe_load((REPO_ROOT / "config.yaml").read_text()))
    )
    assert "Premature-beat decision" not in paper and "cross-entropy loss" in paper
