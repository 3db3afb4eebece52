"""Per-record preprocessing: lead choice, wavelet denoising, beat windows, normalisation."""


rule preprocess_record:
    input:
        header=verified_file("hea"),
        signal=verified_file("dat"),
        annotations=verified_file("atr"),
        library=library("preprocess_record.py"),
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
        # The bytes read (SHA256 per file), not their path: see verified_file().
        digests=record_digests,
        leads=config["leads"],
        denoise=config["denoise"],
        beats=config["beats"],
    script:
        "../scripts/preprocess_record.py"


rule summarise_beats:
    input:
        beats=expand("results/beats/{record}.npz", record=RECORDS),
        library=library("summarise_beats.py"),
    output:
        table=report(
            "results/datasets/beats_per_record.tsv",
            caption="../report/beats_per_record.rst",
            category="data",
            subcategory="preprocessing",
        ),
        table_html=report(
            "results/datasets/beats_per_record.html",
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
        header=verified_file("hea"),
        signal=verified_file("dat"),
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
        denoise=config["denoise"],
        window=[
            config["denoise_figure"]["start_s"],
            config["denoise_figure"]["seconds"],
        ],
    script:
        "../scripts/plot_denoising.py"
