"""Splits of each task's dataset, class balancing and training of the CNN."""


rule split_dataset:
    input:
        dataset="results/datasets/{task}.npz",
        library=library("split_dataset.py"),
    output:
        # The HTML view, written beside its table: unnamed, so not passed to the stage.
        report(
            "results/{split}/{task}/split_class_counts.html",
            caption="../report/training_split_counts.rst",
            category="{task}",
            subcategory="training",
            labels={"split": "{split}", "table": "beats per class and part"},
        ),
        split_file="results/{split}/{task}/split.npz",
        counts=report(
            "results/{split}/{task}/split_class_counts.tsv",
            caption="../report/training_split_counts.rst",
            category="{task}",
            subcategory="training",
            labels={"split": "{split}", "item": "beats per class and part"},
        ),
    log:
        "logs/training/{split}/{task}/split_dataset.log",
    benchmark:
        "benchmarks/out/training/{split}/{task}/split_dataset.tsv"
    wildcard_constraints:
        split="intra|inter",
    conda:
        "../envs/training.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        # Only this scheme's section: the other scheme's settings rerun nothing here. Its keys
        # choose the options class (ecgbeats.splits.IntraSplitOptions or InterSplitOptions).
        options=lambda wildcards: config["split"][wildcards.split],
    script:
        "../scripts/split_dataset.py"


rule train_model:
    input:
        dataset="results/datasets/{task}.npz",
        split_file="results/{split}/{task}/split.npz",
        library=library("train_model.py"),
    output:
        # The HTML view, written beside its table: unnamed, so not passed to the stage.
        report(
            "results/{split}/{task}/training_history.html",
            caption="../report/training_history.rst",
            category="{task}",
            subcategory="training",
            labels={"split": "{split}", "table": "training history"},
        ),
        model="results/{split}/{task}/model.pt",
        history=report(
            "results/{split}/{task}/training_history.tsv",
            caption="../report/training_history.rst",
            category="{task}",
            subcategory="training",
            labels={"split": "{split}", "item": "training history"},
        ),
    log:
        "logs/training/{split}/{task}/train_model.log",
    benchmark:
        "benchmarks/out/training/{split}/{task}/train_model.tsv"
    wildcard_constraints:
        split="intra|inter",
    conda:
        "../envs/training.yaml"
    threads: 2
    resources:
        mem_mb=8000,
        runtime=240,
        # The SLURM executor turns `gpu` into --gpus; `auto` asks for none (runs anywhere).
        gpu=1 if str(config["train"]["device"]).startswith("cuda") else 0,
    params:
        balancing=config["balance"],
        network=config["model"],
        training=config["train"],
    script:
        "../scripts/train_model.py"
