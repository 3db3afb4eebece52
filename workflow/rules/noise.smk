"""Noise stress test: each model's test part with noise added at the configured SNRs.

Uses NOISE and NOISE_RECORDS (common.smk). The records are read through the verified links, as
every MIT-BIH reader does; a noise record given by `noise.records_dir` is read where it is.
"""


rule noise_stress:
    input:
        # Read through the headers: unnamed, so not passed to the stage.
        [verified_file(e, r) for r in RECORDS for e in ("dat", "atr")],
        noise_record_files(),
        dataset="results/datasets/{task}.npz",
        split_file="results/{split}/{task}/split.npz",
        model="results/{split}/{task}/model.pt",
        headers=[verified_file("hea", r) for r in RECORDS],
        noise_records=NOISE_RECORDS,
        library=library("noise_stress.py"),
    output:
        # The HTML view, written beside its table: unnamed, so not passed to the stage.
        report(
            "results/noise/{split}/{task}/noise_curve.html",
            caption="../report/noise_curve.rst",
            category="{task}",
            subcategory="noise stress test",
            labels={"split": "{split}", "table": "metrics against SNR"},
        ),
        curve=report(
            "results/noise/{split}/{task}/noise_curve.tsv",
            caption="../report/noise_curve.rst",
            category="{task}",
            subcategory="noise stress test",
            labels={"split": "{split}", "item": "metrics against SNR"},
        ),
    log:
        "logs/noise/{split}/{task}/noise_stress.log",
    benchmark:
        "benchmarks/out/noise/{split}/{task}/noise_stress.tsv"
    wildcard_constraints:
        split="intra|inter",
    conda:
        "../envs/classify.yaml"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        # The bytes read (SHA256 per file), not their path: see verified_file().
        digests=all_record_digests,
        leads=config["leads"],
        denoising=config["denoise"],
        window=config["beats"],
        # The fields of ecgbeats.stages.noise.NoiseOptions.
        options={
            "snr_db": NOISE["snr_db"],
            "sources": NOISE["sources"],
            "seed": NOISE["seed"],
        },
    script:
        "../scripts/noise_stress.py"


rule plot_noise_curve:
    input:
        curve="results/noise/{split}/{task}/noise_curve.tsv",
        library=library("plot_noise_curve.py"),
    output:
        figure=report(
            "results/noise/{split}/{task}/noise_curve.png",
            caption="../report/noise_curve_figure.rst",
            category="{task}",
            subcategory="noise stress test",
            labels={"split": "{split}", "item": "metrics against SNR (figure)"},
        ),
    log:
        "logs/noise/{split}/{task}/plot_noise_curve.log",
    benchmark:
        "benchmarks/out/noise/{split}/{task}/plot_noise_curve.tsv"
    wildcard_constraints:
        split="intra|inter",
    conda:
        "../envs/plotting.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/plot_noise_curve.py"
