"""The R-peak detector on the configured MIT-BIH records: Se and +P against the beat
annotations, and the test metrics of each model when the detector places the beats.

Uses CLASSIFY (classify.smk): the detector settings are those of classifying new recordings.
"""


rule detect_record:
    input:
        # Read through the header: unnamed, so not passed to the stage.
        verified_file("dat"),
        verified_file("atr"),
        header=verified_file("hea"),
        library=library("detect_record.py"),
    output:
        detections="results/detection/{record}.npz",
    log:
        "logs/detection/{record}.log",
    benchmark:
        "benchmarks/out/detection/{record}.tsv"
    conda:
        "../envs/classify.yaml"
    threads: 1
    resources:
        mem_mb=1500,
        runtime=15,
    params:
        # The bytes read (SHA256 per file), not their path: see verified_file().
        digests=record_digests,
        leads=config["leads"],
        denoising=config["denoise"],
        detector=CLASSIFY["detector"],
    script:
        "../scripts/detect_record.py"


rule evaluate_detector:
    input:
        detections=expand("results/detection/{record}.npz", record=RECORDS),
        library=library("evaluate_detector.py"),
    output:
        # The HTML views, written beside their tables: unnamed, so not passed to the stage.
        report(
            "results/detection/detector_gross.html",
            caption="../report/detection_detector.rst",
            category="data",
            subcategory="R-peak detection",
        ),
        report(
            "results/detection/detector_per_record.html",
            caption="../report/detection_detector_per_record.rst",
            category="data",
            subcategory="R-peak detection",
        ),
        gross=report(
            "results/detection/detector_gross.tsv",
            caption="../report/detection_detector.rst",
            category="data",
            subcategory="R-peak detection",
        ),
        per_record=report(
            "results/detection/detector_per_record.tsv",
            caption="../report/detection_detector_per_record.rst",
            category="data",
            subcategory="R-peak detection",
        ),
    log:
        "logs/detection/evaluate_detector.log",
    benchmark:
        "benchmarks/out/detection/evaluate_detector.tsv"
    conda:
        "../envs/classify.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/evaluate_detector.py"


rule evaluate_detected_beats:
    input:
        # Read through the headers: unnamed, so not passed to the stage.
        [verified_file("dat", r) for r in RECORDS],
        dataset="results/datasets/{task}.npz",
        split_file="results/{split}/{task}/split.npz",
        model="results/{split}/{task}/model.pt",
        detections=expand("results/detection/{record}.npz", record=RECORDS),
        headers=[verified_file("hea", r) for r in RECORDS],
        library=library("evaluate_detected_beats.py"),
    output:
        # The HTML views, written beside their tables: unnamed, so not passed to the stage.
        report(
            "results/{split}/{task}/detected_beats_metrics.html",
            caption="../report/detection_detected_beats.rst",
            category="{task}",
            subcategory="R-peak detection",
            labels={
                "split": "{split}",
                "table": "metrics, detected vs annotated beats",
            },
        ),
        report(
            "results/{split}/{task}/detected_beats_per_record.html",
            caption="../report/detection_detected_beats_per_record.rst",
            category="{task}",
            subcategory="R-peak detection",
            labels={"split": "{split}", "table": "detected beats per record"},
        ),
        metrics=report(
            "results/{split}/{task}/detected_beats_metrics.tsv",
            caption="../report/detection_detected_beats.rst",
            category="{task}",
            subcategory="R-peak detection",
            labels={
                "split": "{split}",
                "item": "metrics, detected vs annotated beats",
            },
        ),
        per_record=report(
            "results/{split}/{task}/detected_beats_per_record.tsv",
            caption="../report/detection_detected_beats_per_record.rst",
            category="{task}",
            subcategory="R-peak detection",
            labels={"split": "{split}", "item": "detected beats per record"},
        ),
    log:
        "logs/detection/evaluate_detected_beats_{split}_{task}.log",
    benchmark:
        "benchmarks/out/detection/evaluate_detected_beats_{split}_{task}.tsv"
    conda:
        "../envs/classify.yaml"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        # The bytes read (SHA256 per file), not their path: see verified_file().
        digests=all_record_digests,
        leads=config["leads"],
        denoising=config["denoise"],
        window=config["beats"],
    script:
        "../scripts/evaluate_detected_beats.py"
