"""Classifying new recordings with a trained model (rule classify_all)."""

CLASSIFY = config["classify"]
# File names are unique (checked with the config in common.smk).
CLASSIFY_PATHS = {Path(p).name: p for p in CLASSIFY["records"]}


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
        leads=config["leads"],
        denoising=config["denoise"],
        window=config["beats"],
        detector=CLASSIFY["detector"],
        # The fields of ecgbeats.stages.classify.ClassifyOptions.
        options={
            "task": CLASSIFY["task"],
            "split": CLASSIFY["split"],
            "class_map": config["class_maps"][CLASSIFY["task"]],
            "annotation_symbols": CLASSIFY["annotation_symbols"].get(
                CLASSIFY["task"], {}
            ),
            "beats_from": CLASSIFY["beats_from"],
            "annotation_extension": CLASSIFY["annotation_extension"],
            "strip_start_s": CLASSIFY["strip"]["start_s"],
            "strip_seconds": CLASSIFY["strip"]["seconds"],
        },
    script:
        "../scripts/classify_record.py"


rule classify_all:
    input:
        classify_targets(),
