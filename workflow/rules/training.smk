"""Splits of each task's dataset, class balancing and training of the CNN."""


rule split_dataset:
    input:
        dataset="results/datasets/{task}.npz",
        library=library("split_dataset.py"),
    output:
        split="results/{split}/{task}/split.npz",
        counts=report(
            "results/{split}/{task}/split_class_counts.tsv",
            caption="../report/training_split_counts.rst",
            category="{task}",
            subcategory="training",
            labels={"split": "{split}", "item": "beats per class and part"},
        ),
        counts_html=report(
            "results/{split}/{task}/split_class_counts.html",
            caption="../report/training_split_counts.rst",
            category="{task}",
            subcategory="training",
            labels={"split": "{split}", "table": "beats per class and part"},
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
        scheme=lambda wildcards: wildcards.split,
        # Only this scheme's section: the other scheme's settings rerun nothing here.
        split=lambda wildcards: config["split"][wildcards.split],
    script:
        "../scripts/split_dataset.py"


rule train_model:
    input:
        dataset="results/datasets/{task}.npz",
        split="results/{split}/{task}/split.npz",
        library=library("train_model.py"),
    output:
        model="results/{split}/{task}/model.pt",
        history=report(
            "results/{split}/{task}/training_history.tsv",
            caption="../report/training_history.rst",
            category="{task}",
            subcategory="training",
            labels={"split": "{split}", "item": "training history"},
        ),
        history_html=report(
            "results/{split}/{task}/training_history.html",
            caption="../report/training_history.rst",
            category="{task}",
            subcategory="training",
            labels={"split": "{split}", "table": "training history"},
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
        balance=config["balance"],
        model=config["model"],
        train=config["train"],
    script:
        "../scripts/train_model.py"
