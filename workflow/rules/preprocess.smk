"""Per-record preprocessing: lead choice, wavelet denoising, beat windows, normalisation."""


rule preprocess_record:
    input:
        # Read through the header: unnamed, so not passed to the stage.
        verified_file("dat"),
        verified_file("atr"),
        header=verified_file("hea"),
        library=library("preprocess_record.py"),
    output:
        beats="results/beats/{record}.npz",
    log:
        "logs/preprocess/{record}.log",
    # Between-workflow cache (`--cache`); no `benchmark` (Snakemake forbids it on cached rules).
    # The provenance hash covers this script, its params (`digests` keep records apart) and the
    # upstream jobs.
    cache: True
    conda:
        "../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        # The bytes read (SHA256 per file), not their path: see verified_file().
        digests=record_digests,
        leads=config["leads"],
        denoising=config["denoise"],
        window=config["beats"],
    script:
        "../scripts/preprocess_record.py"


rule summarise_beats:
    input:
        beats=expand("results/beats/{record}.npz", record=RECORDS),
        library=library("summarise_beats.py"),
    output:
        # The HTML view, written beside the table: unnamed, so not passed to the stage.
        report(
            "results/datasets/beats_per_record.html",
            caption="../report/beats_per_record.rst",
            category="data",
            subcategory="preprocessing",
        ),
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
        # Read through the header: unnamed, so not passed to the stage.
        verified_file("dat"),
        header=verified_file("hea"),
        library=library("plot_denoising.py"),
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
        # The bytes read (SHA256 per file), not their path: see verified_file().
        digests=record_digests,
        leads=config["leads"],
        denoising=config["denoise"],
        start_s=config["denoise_figure"]["start_s"],
        seconds=config["denoise_figure"]["seconds"],
    script:
        "../scripts/plot_denoising.py"
