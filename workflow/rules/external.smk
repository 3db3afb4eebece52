"""External validation: annotated records of other databases scored by the trained models
(rule external_all), each database with its own leads, annotation extension and symbol map; a
database with `train: true` joins the inter-patient models' training part instead.

Uses EXTERNAL, EXTERNAL_DATABASES, EXTERNAL_RECORDS and EXTERNAL_MODELS (common.smk). Records
are read where they are (no checksum list exists for another database); their files are inputs,
so a changed record reruns its jobs.
"""


wildcard_constraints:
    database="|".join(EXTERNAL_DATABASES) or "(?!)",
    recording=r"[A-Za-z0-9_.-]+",


# One record, every model: read, resample, denoise, segment (the training's code path), predict.
rule score_external_record:
    input:
        # Read through the header: unnamed, so not passed to the stage.
        external_record_files,
        header=external_header,
        models=[f"results/{split}/{task}/model.pt" for split, task in EXTERNAL_MODELS],
        library=library("score_external_record.py"),
    output:
        scores=[
            f"results/external/{{database}}/{split}/{task}/records/{{recording}}.npz"
            for split, task in EXTERNAL_MODELS
        ],
    log:
        "logs/external/{database}/{recording}.log",
    benchmark:
        "benchmarks/out/external/{database}/{recording}.tsv"
    conda:
        "../envs/classify.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        denoising=config["denoise"],
        window=config["beats"],
        options=external_record_options,
    script:
        "../scripts/score_external_record.py"


# A database with `train: true`: its records' beats, made as MIT-BIH's, for the inter-patient
# models' training part (extra_training_datasets, common.smk).
rule preprocess_external_record:
    input:
        # Read through the header: unnamed, so not passed to the stage.
        external_record_files,
        header=external_header,
        library=library("preprocess_external_record.py"),
    output:
        beats="results/external/{database}/beats/{recording}.npz",
    log:
        "logs/external/{database}/beats/{recording}.log",
    benchmark:
        "benchmarks/out/external/{database}/beats/{recording}.tsv"
    conda:
        "../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        denoising=config["denoise"],
        window=config["beats"],
        options=external_record_options,
    script:
        "../scripts/preprocess_external_record.py"


rule build_external_dataset:
    input:
        beats=lambda wildcards: [
            f"results/external/{wildcards.database}/beats/{recording}.npz"
            for recording in EXTERNAL_RECORDS[wildcards.database]
        ],
        library=library("build_external_dataset.py"),
    output:
        # The HTML view, written beside its table: unnamed, so not passed to the stage.
        report(
            "results/external/{database}/datasets/{task}_class_counts.html",
            caption="../report/external_training_counts.rst",
            category="external",
            subcategory="{database}",
            labels={"model": "training beats of {task}", "table": "beats per class"},
        ),
        dataset="results/external/{database}/datasets/{task}.npz",
        counts=report(
            "results/external/{database}/datasets/{task}_class_counts.tsv",
            caption="../report/external_training_counts.rst",
            category="external",
            subcategory="{database}",
            labels={"model": "training beats of {task}", "item": "beats per class"},
        ),
    log:
        "logs/external/{database}/datasets/{task}.log",
    benchmark:
        "benchmarks/out/external/{database}/datasets/{task}.tsv"
    conda:
        "../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=15,
    params:
        class_map=lambda wildcards: config["class_maps"][wildcards.task],
    script:
        "../scripts/build_external_dataset.py"


rule evaluate_external:
    input:
        scores=external_scores,
        library=library("evaluate_external.py"),
    output:
        # The HTML views, written beside their tables: unnamed, so not passed to the stage.
        report(
            "results/external/{database}/{split}/{task}/metrics.html",
            caption="../report/external_metrics.rst",
            category="external",
            subcategory="{database}",
            labels={"model": "{split} {task}", "table": "metrics per class"},
        ),
        report(
            "results/external/{database}/{split}/{task}/per_record.html",
            caption="../report/external_per_record.rst",
            category="external",
            subcategory="{database}",
            labels={"model": "{split} {task}", "table": "per record"},
        ),
        metrics_table=report(
            "results/external/{database}/{split}/{task}/metrics.tsv",
            caption="../report/external_metrics.rst",
            category="external",
            subcategory="{database}",
            labels={"model": "{split} {task}", "item": "metrics per class"},
        ),
        per_record=report(
            "results/external/{database}/{split}/{task}/per_record.tsv",
            caption="../report/external_per_record.rst",
            category="external",
            subcategory="{database}",
            labels={"model": "{split} {task}", "item": "per record"},
        ),
        predictions="results/external/{database}/{split}/{task}/predictions.npz",
    log:
        "logs/external/{database}/{split}/{task}/evaluate_external.log",
    benchmark:
        "benchmarks/out/external/{database}/{split}/{task}/evaluate_external.tsv"
    wildcard_constraints:
        split="intra|inter",
    conda:
        "../envs/classify.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        # The fields of ecgbeats.stages.external.ExternalOptions.
        options=lambda wildcards: {
            "database": wildcards.database,
            "data_dir": EXTERNAL_DATABASES[wildcards.database]["data_dir"],
            "annotation_extension": EXTERNAL_DATABASES[wildcards.database][
                "annotation_extension"
            ],
            "task": wildcards.task,
            "class_map": config["class_maps"][wildcards.task],
        },
    script:
        "../scripts/evaluate_external.py"


rule external_ec57:
    input:
        predictions="results/external/{database}/{split}/{task}/predictions.npz",
        library=library("external_ec57.py"),
    output:
        # The HTML view, written beside its table: unnamed, so not passed to the stage.
        report(
            "results/external/{database}/{split}/{task}/ec57.html",
            caption="../report/external_ec57.rst",
            category="external",
            subcategory="{database}",
            labels={"model": "{split} {task}", "table": "AAMI EC57 statistics"},
        ),
        table=report(
            "results/external/{database}/{split}/{task}/ec57.tsv",
            caption="../report/external_ec57.rst",
            category="external",
            subcategory="{database}",
            labels={"model": "{split} {task}", "item": "AAMI EC57 statistics"},
        ),
    log:
        "logs/external/{database}/{split}/{task}/external_ec57.log",
    benchmark:
        "benchmarks/out/external/{database}/{split}/{task}/external_ec57.tsv"
    wildcard_constraints:
        split="intra|inter",
    conda:
        "../envs/plotting.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/external_ec57.py"


rule plot_external:
    input:
        predictions="results/external/{database}/{split}/{task}/predictions.npz",
        library=library("plot_external.py"),
    output:
        confusion_matrix=report(
            "results/external/{database}/{split}/{task}/figures/confusion_matrix.png",
            caption="../report/external_confusion_matrix.rst",
            category="external",
            subcategory="{database}",
            labels={"model": "{split} {task}", "item": "confusion matrix"},
        ),
    log:
        "logs/external/{database}/{split}/{task}/plot_external.log",
    benchmark:
        "benchmarks/out/external/{database}/{split}/{task}/plot_external.tsv"
    wildcard_constraints:
        split="intra|inter",
    conda:
        "../envs/plotting.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/plot_external.py"


rule external_all:
    input:
        external_targets(),
