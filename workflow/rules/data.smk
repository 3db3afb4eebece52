"""Data stage: download missing MIT-BIH records and verify every file against the checksums."""

import os
import re

# Records with a file missing from `data_dir`: only these can match `download_record`. The files
# of complete records are source files, so Snakemake never reruns (and touches) them in a local
# copy, not even when they are older than the download script, which Snakemake 9 otherwise
# treats as changed code. `verify_record` checks every record either way.
INCOMPLETE_RECORDS = [
    r for r in RECORDS if not all(map(os.path.exists, record_files(r)))
]


# `update` keeps Snakemake from deleting the files a record already has (a copy lacking only its
# .dat): the script downloads only files that are missing or fail their checksum.
# `ancient`: a newer checksum file must not trigger downloads; verify_record rechecks.
rule download_record:
    input:
        checksums=ancient(config["checksums"]),
        library=library("download_record.py"),
    output:
        files=update(multiext(f"{DATA_DIR}/{{record}}", ".hea", ".dat", ".atr")),
    log:
        "logs/data/download_{record}.log",
    wildcard_constraints:
        # "(?!)" never matches: with every record complete the rule matches nothing.
        record="|".join(map(re.escape, INCOMPLETE_RECORDS)) or "(?!)",
    # Between-workflow cache (`--cache`, $SNAKEMAKE_OUTPUT_CACHE). Snakemake forbids `benchmark`
    # on cached rules, and its provenance hash ignores wildcards and output paths: the
    # `cache_entry` param is what gives each record its own cache entry.
    cache: True
    conda:
        "../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=512,
        runtime=30,
    params:
        # The fields of ecgbeats.download.DownloadOptions.
        options=config["download"],
        # Not passed to the script (the `record` wildcard is); see `cache` above.
        cache_entry="{record}",
    script:
        "../scripts/download_record.py"


rule verify_record:
    input:
        files=lambda wildcards: record_files(wildcards.record),
        checksums=config["checksums"],
        library=library("verify_record.py"),
    # The links give later stages paths that do not depend on `data_dir`.
    output:
        digests="results/data/verified/{record}.sha256",
        links=multiext("results/data/records/{record}", ".hea", ".dat", ".atr"),
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
    script:
        "../scripts/verify_record.py"
