"""Evaluation of the trained models on their test part, and the comparison with the paper."""


rule evaluate_model:
    input:
        dataset="results/datasets/{task}.npz",
        split_file="results/{split}/{task}/split.npz",
        model="results/{split}/{task}/model.pt",
        library=library("evaluate_model.py"),
    output:
        # The HTML view, written beside its table: unnamed, so not passed to the stage.
        report(
            "results/{split}/{task}/metrics.html",
            caption="../report/evaluation_metrics.rst",
            category="{task}",
            subcategory="evaluation",
            labels={"split": "{split}", "table": "metrics per class"},
        ),
        metrics_table=report(
            "results/{split}/{task}/metrics.tsv",
            caption="../report/evaluation_metrics.rst",
            category="{task}",
            subcategory="evaluation",
            labels={"split": "{split}", "item": "metrics per class"},
        ),
        predictions="results/{split}/{task}/predictions.npz",
    log:
        "logs/evaluation/{split}/{task}/evaluate_model.log",
    benchmark:
        "benchmarks/out/evaluation/{split}/{task}/evaluate_model.tsv"
    wildcard_constraints:
        split="intra|inter",
    conda:
        "../envs/training.yaml"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        # The fields of ecgbeats.stages.evaluation.EvaluationOptions.
        options={
            "batch_size": config["evaluation"]["batch_size"],
            "device": config["evaluation"]["device"],
        },
    script:
        "../scripts/evaluate_model.py"


# Each seed's model on the test part, for the seed summary (the representative seed's is also
# evaluated above, under results/{split}/{task}/, with the figures).
rule evaluate_seed:
    input:
        dataset="results/datasets/{task}.npz",
        split_file="results/{split}/{task}/split.npz",
        model="results/{split}/{task}/seeds/{seed}/model.pt",
        library=library("evaluate_seed.py"),
    output:
        # The HTML view, written beside its table: unnamed, so not passed to the stage.
        "results/{split}/{task}/seeds/{seed}/metrics.html",
        metrics_table="results/{split}/{task}/seeds/{seed}/metrics.tsv",
        predictions="results/{split}/{task}/seeds/{seed}/predictions.npz",
    log:
        "logs/evaluation/{split}/{task}/seeds/{seed}/evaluate_model.log",
    benchmark:
        "benchmarks/out/evaluation/{split}/{task}/seeds/{seed}/evaluate_model.tsv"
    wildcard_constraints:
        split="intra|inter",
        seed=r"\d+",
    conda:
        "../envs/training.yaml"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        options={
            "batch_size": config["evaluation"]["batch_size"],
            "device": config["evaluation"]["device"],
        },
    script:
        "../scripts/evaluate_seed.py"


# Mean ± sd over the seeds and 95 % bootstrap intervals over the test records.
rule summarise_seeds:
    input:
        dataset="results/datasets/{task}.npz",
        predictions=expand(
            "results/{{split}}/{{task}}/seeds/{seed}/predictions.npz", seed=SEEDS
        ),
        library=library("summarise_seeds.py"),
    output:
        # The HTML view, written beside its table: unnamed, so not passed to the stage.
        report(
            "results/{split}/{task}/seeds.html",
            caption="../report/evaluation_seeds.rst",
            category="{task}",
            subcategory="evaluation",
            labels={"split": "{split}", "table": "scores over seeds"},
        ),
        summary=report(
            "results/{split}/{task}/seeds.tsv",
            caption="../report/evaluation_seeds.rst",
            category="{task}",
            subcategory="evaluation",
            labels={"split": "{split}", "item": "scores over seeds"},
        ),
    log:
        "logs/evaluation/{split}/{task}/summarise_seeds.log",
    benchmark:
        "benchmarks/out/evaluation/{split}/{task}/summarise_seeds.tsv"
    wildcard_constraints:
        split="intra|inter",
    conda:
        "../envs/training.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        seeds=SEEDS,
        bootstrap=config["evaluation"]["bootstrap"],
    script:
        "../scripts/summarise_seeds.py"


# AAMI EC57 statistics (Se, +P, FPR per class, gross accuracy); published DS2 results beside
# them where they measure the same (AAMI classes, inter-patient split).
rule ec57_table:
    input:
        predictions="results/{split}/{task}/predictions.npz",
        published=lambda wildcards: (
            ["workflow/resources/published_ds2.tsv"]
            if wildcards.task == "aami" and wildcards.split == "inter"
            else []
        ),
        library=library("ec57_table.py"),
    output:
        # The HTML view, written beside its table: unnamed, so not passed to the stage.
        report(
            "results/{split}/{task}/ec57.html",
            caption="../report/evaluation_ec57.rst",
            category="{task}",
            subcategory="evaluation",
            labels={"split": "{split}", "table": "AAMI EC57 statistics"},
        ),
        table=report(
            "results/{split}/{task}/ec57.tsv",
            caption="../report/evaluation_ec57.rst",
            category="{task}",
            subcategory="evaluation",
            labels={"split": "{split}", "item": "AAMI EC57 statistics"},
        ),
    log:
        "logs/evaluation/{split}/{task}/ec57_table.log",
    benchmark:
        "benchmarks/out/evaluation/{split}/{task}/ec57_table.tsv"
    wildcard_constraints:
        split="intra|inter",
    conda:
        "../envs/plotting.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/ec57_table.py"


# Figures apart from the evaluation: editing only plotting code reruns only them.
rule plot_evaluation:
    input:
        predictions="results/{split}/{task}/predictions.npz",
        metrics_table="results/{split}/{task}/metrics.tsv",
        history="results/{split}/{task}/training_history.tsv",
        library=library("plot_evaluation.py"),
    output:
        confusion_matrix=report(
            "results/{split}/{task}/figures/confusion_matrix.png",
            caption="../report/evaluation_confusion_matrix.rst",
            category="{task}",
            subcategory="evaluation",
            labels={"split": "{split}", "item": "confusion matrix"},
        ),
        roc=report(
            "results/{split}/{task}/figures/roc_curves.png",
            caption="../report/evaluation_roc_curves.rst",
            category="{task}",
            subcategory="evaluation",
            labels={"split": "{split}", "item": "ROC curves"},
        ),
        pr=report(
            "results/{split}/{task}/figures/pr_curves.png",
            caption="../report/evaluation_pr_curves.rst",
            category="{task}",
            subcategory="evaluation",
            labels={"split": "{split}", "item": "precision-recall curves"},
        ),
        training_curves=report(
            "results/{split}/{task}/figures/training_curves.png",
            caption="../report/evaluation_training_curves.rst",
            category="{task}",
            subcategory="evaluation",
            labels={"split": "{split}", "item": "training curves"},
        ),
    log:
        "logs/evaluation/{split}/{task}/plot_evaluation.log",
    benchmark:
        "benchmarks/out/evaluation/{split}/{task}/plot_evaluation.tsv"
    wildcard_constraints:
        split="intra|inter",
    conda:
        "../envs/plotting.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/plot_evaluation.py"


rule compare_with_paper:
    input:
        metrics_table="results/{split}/{task}/metrics.tsv",
        paper=lambda wildcards: config["evaluation"]["paper_tables"][wildcards.task],
        library=library("compare_with_paper.py"),
    output:
        # The HTML view, written beside its table: unnamed, so not passed to the stage.
        report(
            "results/{split}/{task}/paper_comparison.html",
            caption="../report/evaluation_paper_comparison.rst",
            category="{task}",
            subcategory="evaluation",
            labels={"split": "{split}", "table": "comparison with the paper"},
        ),
        comparison=report(
            "results/{split}/{task}/paper_comparison.tsv",
            caption="../report/evaluation_paper_comparison.rst",
            category="{task}",
            subcategory="evaluation",
            labels={"split": "{split}", "item": "comparison with the paper"},
        ),
    log:
        "logs/evaluation/{split}/{task}/compare_with_paper.log",
    benchmark:
        "benchmarks/out/evaluation/{split}/{task}/compare_with_paper.tsv"
    wildcard_constraints:
        split="intra|inter",
    conda:
        "../envs/training.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/compare_with_paper.py"
