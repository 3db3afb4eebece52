"""Data stage: download missing MIT-BIH records and verify every file against the checksums."""


def data_targets():
    """One verified checksum list per configured record."""
    return expand("results/data/verified/{record}.sha256", record=RECORDS)


# Runs only when a record file is missing from `data_dir`; an existing local copy is used as is
# (and verified by `verify_record`). `update` keeps Snakemake from deleting a record's files that
# are already there (a local copy lacking only its .dat, or a rerun after a code or params
# change): the script re-downloads only files that are missing or fail their checksum.
# `ancient` keeps a newer checksum file from triggering downloads; verify_record rechecks.
rule download_record:
    input:
        checksums=ancient(config["checksums"]),
    output:
        update(multiext(f"{DATA_DIR}/{{record}}", ".hea", ".dat", ".atr")),
    log:
        "logs/data/download_{record}.log",
    # Between-workflow cache (`--cache`, $SNAKEMAKE_OUTPUT_CACHE). Snakemake forbids `benchmark`
    # on cached rules, and its provenance hash ignores wildcards and output paths: the `record`
    # param is what gives each record its own cache entry.
    cache: True
    conda:
        "../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=512,
        runtime=30,
    params:
        base_url=config["download"]["base_url"],
        database=config["download"]["database"],
        record="{record}",
    script:
        "../scripts/download_record.py"


rule verify_record:
    input:
        files=lambda wildcards: record_files(wildcards.record),
        checksums=config["checksums"],
    output:
        "results/data/verified/{record}.sha256",
    log:
        "logs/data/verify_{record}.log",
    benchmark:
        "benchmarks/out/data/verify_{record}.tsv"
    conda:
        "../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=512,
        runtime=10,
    params:
        record="{record}",
    script:
        "../scripts/verify_record.py"
