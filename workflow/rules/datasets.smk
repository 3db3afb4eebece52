"""Per-task datasets: the per-record beats labelled with a task's classes."""


rule build_dataset:
    input:
        beats=expand("results/beats/{record}.npz", record=RECORDS),
        library=library("build_dataset.py"),
    output:
        # The HTML view, written beside its table: unnamed, so not passed to the stage.
        report(
            "results/datasets/{task}_class_counts.html",
            caption="../report/class_counts.rst",
            category="{task}",
            subcategory="data",
        ),
        dataset="results/datasets/{task}.npz",
        counts=report(
            "results/datasets/{task}_class_counts.tsv",
            caption="../report/class_counts.rst",
            category="{task}",
            subcategory="data",
        ),
    log:
        "logs/datasets/{task}.log",
    benchmark:
        "benchmarks/out/datasets/{task}.tsv"
    conda:
        "../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=15,
    params:
        class_map=lambda wildcards: config["class_maps"][wildcards.task],
    script:
        "../scripts/build_dataset.py"


rule plot_class_distribution:
    input:
        counts="results/datasets/{task}_class_counts.tsv",
        library=library("plot_class_distribution.py"),
    output:
        figure=report(
            "results/figures/{task}/class_distribution.png",
            caption="../report/class_distribution.rst",
            category="{task}",
            subcategory="data",
        ),
    log:
        "logs/datasets/plot_class_distribution_{task}.log",
    benchmark:
        "benchmarks/out/datasets/plot_class_distribution_{task}.tsv"
    conda:
        "../envs/plotting.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/plot_class_distribution.py"
