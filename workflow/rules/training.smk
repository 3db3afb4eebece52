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
        # Other databases' beats for the training part (external.databases[].train).
        extra_datasets=extra_training_datasets,
        library=library("train_model.py"),
    output:
        # The HTML view, written beside its table: unnamed, so not passed to the stage.
        "results/{split}/{task}/seeds/{seed}/training_history.html",
        model="results/{split}/{task}/seeds/{seed}/model.pt",
        history="results/{split}/{task}/seeds/{seed}/training_history.tsv",
    log:
        "logs/training/{split}/{task}/seeds/{seed}/train_model.log",
    benchmark:
        "benchmarks/out/training/{split}/{task}/seeds/{seed}/train_model.tsv"
    wildcard_constraints:
        split="intra|inter",
        seed=r"\d+",
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
        # ecgbeats.training.TrainConfig: the train settings with this job's seed.
        training=lambda wildcards: training_options(int(wildcards.seed)),
        # This task's premature-beat decision (normal and premature class), or None.
        prematurity=lambda wildcards: config["prematurity"].get(wildcards.task),
    script:
        "../scripts/train_model.py"


# The representative seed's model and history (the first of train.seeds), where evaluation,
# UMAP, SHAP, classification and the report look for them.
rule select_model:
    input:
        model=f"results/{{split}}/{{task}}/seeds/{REPRESENTATIVE_SEED}/model.pt",
        history=f"results/{{split}}/{{task}}/seeds/{REPRESENTATIVE_SEED}/training_history.tsv",
        library=library("select_model.py"),
    output:
        # The HTML view, written beside its table: unnamed, so not passed to the stage.
        report(
            "results/{split}/{task}/training_history.html",
            caption="../report/training_history.rst",
            category="{task}",
            subcategory="training",
            labels={"split": "{split}", "table": "training history"},
        ),
        selected_model="results/{split}/{task}/model.pt",
        selected_history=report(
            "results/{split}/{task}/training_history.tsv",
            caption="../report/training_history.rst",
            category="{task}",
            subcategory="training",
            labels={"split": "{split}", "item": "training history"},
        ),
    log:
        "logs/training/{split}/{task}/select_model.log",
    benchmark:
        "benchmarks/out/training/{split}/{task}/select_model.tsv"
    wildcard_constraints:
        split="intra|inter",
    conda:
        "../envs/training.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        seed=REPRESENTATIVE_SEED,
    script:
        "../scripts/select_model.py"
