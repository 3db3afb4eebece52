"""Interpretability: UMAP of the CNN's learned features and SHAP explanations of its logits."""


rule embed_umap:
    input:
        dataset="results/datasets/{task}.npz",
        predictions="results/{split}/{task}/predictions.npz",
        model="results/{split}/{task}/model.pt",
        library=library("embed_umap.py"),
    output:
        table="results/{split}/{task}/interpret/umap.tsv",
    log:
        "logs/interpret/{split}/{task}/embed_umap.log",
    benchmark:
        "benchmarks/out/interpret/{split}/{task}/embed_umap.tsv"
    wildcard_constraints:
        split="intra|inter",
    conda:
        "../envs/umap.yaml"
    # umap-learn runs single-threaded when seeded (reproducible); torch uses the second core.
    threads: 2
    resources:
        mem_mb=6000,
        runtime=20,
    params:
        # The fields of ecgbeats.stages.embedding.UmapOptions.
        options=config["umap"],
    script:
        "../scripts/embed_umap.py"


rule explain_shap:
    input:
        dataset="results/datasets/{task}.npz",
        split_file="results/{split}/{task}/split.npz",
        predictions="results/{split}/{task}/predictions.npz",
        model="results/{split}/{task}/model.pt",
        library=library("explain_shap.py"),
    output:
        values="results/{split}/{task}/interpret/shap_values.npz",
    log:
        "logs/interpret/{split}/{task}/explain_shap.log",
    benchmark:
        "benchmarks/out/interpret/{split}/{task}/explain_shap.tsv"
    wildcard_constraints:
        split="intra|inter",
    conda:
        "../envs/shap.yaml"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        # The fields of ecgbeats.stages.explanation.ShapOptions.
        options=config["shap"],
        r_peak=config["beats"]["before"],
    script:
        "../scripts/explain_shap.py"


# Figures apart from the computations: editing only plotting code reruns only them.
rule plot_umap:
    input:
        table="results/{split}/{task}/interpret/umap.tsv",
        predictions="results/{split}/{task}/predictions.npz",
        library=library("plot_umap.py"),
    output:
        figure=report(
            "results/{split}/{task}/interpret/umap.png",
            caption="../report/interpret_umap.rst",
            category="{task}",
            subcategory="interpretation",
            labels={"split": "{split}", "item": "UMAP of CNN features"},
        ),
    log:
        "logs/interpret/{split}/{task}/plot_umap.log",
    benchmark:
        "benchmarks/out/interpret/{split}/{task}/plot_umap.tsv"
    wildcard_constraints:
        split="intra|inter",
    conda:
        "../envs/plotting.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        layer=config["umap"]["layer"],
    script:
        "../scripts/plot_umap.py"


rule plot_shap:
    input:
        values="results/{split}/{task}/interpret/shap_values.npz",
        library=library("plot_shap.py"),
    output:
        grid=report(
            "results/{split}/{task}/interpret/shap_grid.png",
            caption="../report/interpret_shap_grid.rst",
            category="{task}",
            subcategory="interpretation",
            labels={"split": "{split}", "item": "SHAP grid"},
        ),
        profile=report(
            "results/{split}/{task}/interpret/shap_profile.png",
            caption="../report/interpret_shap_profile.rst",
            category="{task}",
            subcategory="interpretation",
            labels={"split": "{split}", "item": "SHAP profile per class"},
        ),
    log:
        "logs/interpret/{split}/{task}/plot_shap.log",
    benchmark:
        "benchmarks/out/interpret/{split}/{task}/plot_shap.tsv"
    wildcard_constraints:
        split="intra|inter",
    conda:
        "../envs/plotting.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/plot_shap.py"
