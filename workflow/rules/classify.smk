"""Classifying new recordings with a trained model (rule classify_all)."""

CLASSIFY = config["classify"]
# File names are unique (checked with the config in common.smk).
CLASSIFY_PATHS = {Path(p).name: p for p in CLASSIFY["records"]}
# The fields of ecgbeats.stages.classify.ClassifyOptions.
CLASSIFY_OPTIONS = {
    "task": CLASSIFY["task"],
    "split": CLASSIFY["split"],
    "class_map": config["class_maps"][CLASSIFY["task"]],
    "annotation_symbols": CLASSIFY["annotation_symbols"].get(CLASSIFY["task"], {}),
    "beats_from": CLASSIFY["beats_from"],
    "annotation_extension": CLASSIFY["annotation_extension"],
    "strip_start_s": CLASSIFY["strip"]["start_s"],
    "strip_seconds": CLASSIFY["strip"]["seconds"],
}


wildcard_constraints:
    name="|".join(CLASSIFY_PATHS) or "(?!)",


rule classify_record:
    input:
        unpack(classify_record_input),
        library=library("classify_record.py"),
    output:
        table="results/classify/{name}/{name}_beats.csv",
        annotations="results/classify/{name}/{name}.pred",
        strip=report(
            "results/classify/{name}/{name}_strip.png",
            caption="../report/classify_strip.rst",
            category="classify",
            subcategory="{name}",
        ),
    log:
        "logs/classify/{name}.log",
    benchmark:
        "benchmarks/out/classify/{name}.tsv"
    conda:
        "../envs/classify.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        # Its own setting: changing it reruns no preprocessing of MIT-BIH.
        leads=CLASSIFY["leads"],
        denoising=config["denoise"],
        window=config["beats"],
        detector=CLASSIFY["detector"],
        options=CLASSIFY_OPTIONS,
    script:
        "../scripts/classify_record.py"


# SHAP of every classified beat's predicted class against random training beats of the model.
rule explain_classified_record:
    input:
        unpack(classify_record_input),
        dataset=f"results/datasets/{CLASSIFY['task']}.npz",
        split_file=f"results/{CLASSIFY['split']}/{CLASSIFY['task']}/split.npz",
        library=library("explain_classified_record.py"),
    output:
        # The HTML view, written beside its table: unnamed, so not passed to the stage.
        report(
            "results/classify/{name}/{name}_explanation.html",
            caption="../report/classify_explanation.rst",
            category="classify",
            subcategory="{name}",
            labels={"table": "explanation per class"},
        ),
        shap_values="results/classify/{name}/{name}_shap.npz",
        summary=report(
            "results/classify/{name}/{name}_explanation.tsv",
            caption="../report/classify_explanation.rst",
            category="classify",
            subcategory="{name}",
            labels={"item": "explanation per class"},
        ),
        strip=report(
            "results/classify/{name}/{name}_explained_strip.png",
            caption="../report/classify_explained_strip.rst",
            category="classify",
            subcategory="{name}",
            labels={"item": "strip shaded by SHAP"},
        ),
    log:
        "logs/classify/{name}_explain.log",
    benchmark:
        "benchmarks/out/classify/{name}_explain.tsv"
    conda:
        "../envs/classify.yaml"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        leads=CLASSIFY["leads"],
        denoising=config["denoise"],
        window=config["beats"],
        detector=CLASSIFY["detector"],
        options=CLASSIFY_OPTIONS,
        # The fields of ecgbeats.stages.beat_shap.BeatExplanationOptions.
        explain=CLASSIFY["explain"],
    script:
        "../scripts/explain_classified_record.py"


rule classify_all:
    input:
        classify_targets(),
