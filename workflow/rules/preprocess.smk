"""Per-record preprocessing: lead choice, wavelet denoising, beat windows, normalisation."""


rule preprocess_record:
    input:
        header=f"{DATA_DIR}/{{record}}.hea",
        signal=f"{DATA_DIR}/{{record}}.dat",
        annotations=f"{DATA_DIR}/{{record}}.atr",
        verified="results/data/verified/{record}.sha256",
    output:
        beats="results/beats/{record}.npz",
    log:
        "logs/preprocess/{record}.log",
    # Between-workflow cache (`--cache`); no `benchmark` (Snakemake forbids it on cached rules).
    # The provenance hash covers this script, params and the upstream download/verify jobs,
    # whose `record` params keep records apart.
    cache: True
    conda:
        "../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        leads=config["leads"],
        denoise=config["denoise"],
        beats=config["beats"],
    script:
        "../scripts/preprocess_record.py"


rule summarise_beats:
    input:
        beats=expand("results/beats/{record}.npz", record=RECORDS),
    output:
        table=report(
            "results/datasets/beats_per_record.tsv",
            caption="../report/beats_per_record.rst",
            category="data",
            subcategory="preprocessing",
        ),
    log:
        "logs/preprocess/summarise_beats.log",
    benchmark:
        "benchmarks/out/preprocess/summarise_beats.tsv"
    conda:
        "../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        records=RECORDS,
    script:
        "../scripts/summarise_beats.py"


rule plot_denoising:
    input:
        header=f"{DATA_DIR}/{{record}}.hea",
        signal=f"{DATA_DIR}/{{record}}.dat",
        verified="results/data/verified/{record}.sha256",
    output:
        figure=report(
            "results/figures/denoising_{record}.png",
            caption="../report/denoising.rst",
            category="data",
            subcategory="preprocessing",
        ),
    log:
        "logs/preprocess/plot_denoising_{record}.log",
    benchmark:
        "benchmarks/out/preprocess/plot_denoising_{record}.tsv"
    conda:
        "../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        leads=config["leads"],
        denoise=config["denoise"],
        window=[
            config["denoise_figure"]["start_s"],
            config["denoise_figure"]["seconds"],
        ],
    script:
        "../scripts/plot_denoising.py"
