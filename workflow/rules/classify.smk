"""Classifying new recordings, and the R-peak detector evaluated on the MIT-BIH records."""

CLASSIFY = config["classify"]
# File names are unique (checked with the config in common.smk).
CLASSIFY_PATHS = {Path(p).name: p for p in CLASSIFY["records"]}


wildcard_constraints:
    name="|".join(CLASSIFY_PATHS) or "(?!)",


rule classify_record:
    input:
        unpack(classify_record_input),
        library=library("classify_record.py"),
    output:
        table="results/classify/{name}/{name}_beats.csv",
        annotations="results/classify/{name}/{name}.pred",
        strip=report(
            "results/classify/{name}/{name}_strip.png",
            caption="../report/classify_strip.rst",
            category="classify",
            subcategory="{name}",
        ),
    log:
        "logs/classify/{name}.log",
    benchmark:
        "benchmarks/out/classify/{name}.tsv"
    conda:
        "../envs/classify.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        leads=config["leads"],
        denoise=config["denoise"],
        beats=config["beats"],
        task=CLASSIFY["task"],
        split=CLASSIFY["split"],
        class_map=config["class_maps"][CLASSIFY["task"]],
        class_names=list(dict.fromkeys(config["class_maps"][CLASSIFY["task"]].values())),
        annotation_symbols=CLASSIFY["annotation_symbols"].get(CLASSIFY["task"], {}),
        annotation_extension=CLASSIFY["annotation_extension"],
        beats_from=CLASSIFY["beats_from"],
        detector=CLASSIFY["detector"],
        strip=[CLASSIFY["strip"]["start_s"], CLASSIFY["strip"]["seconds"]],
    script:
        "../scripts/classify_record.py"


rule classify_all:
    input:
        classify_targets(),


rule detect_record:
    input:
        header=verified_file("hea"),
        signal=verified_file("dat"),
        annotations=verified_file("atr"),
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
        denoise=config["denoise"],
        detector=CLASSIFY["detector"],
    script:
        "../scripts/detect_record.py"


rule evaluate_detector:
    input:
        detections=expand("results/detection/{record}.npz", record=RECORDS),
        library=library("evaluate_detector.py"),
    output:
        gross=report(
            "results/detection/detector_gross.tsv",
            caption="../report/classify_detector.rst",
            category="data",
            subcategory="R-peak detection",
        ),
        per_record=report(
            "results/detection/detector_per_record.tsv",
            caption="../report/classify_detector_per_record.rst",
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
        dataset="results/datasets/{task}.npz",
        split="results/{split}/{task}/split.npz",
        model="results/{split}/{task}/model.pt",
        detections=expand("results/detection/{record}.npz", record=RECORDS),
        headers=[verified_file("hea", r) for r in RECORDS],
        signals=[verified_file("dat", r) for r in RECORDS],
        library=library("evaluate_detected_beats.py"),
    output:
        metrics=report(
            "results/{split}/{task}/detected_beats_metrics.tsv",
            caption="../report/classify_detected_beats.rst",
            category="{task}",
            subcategory="R-peak detection",
            labels={
                "split": "{split}",
                "item": "metrics, detected vs annotated beats",
            },
        ),
        per_record=report(
            "results/{split}/{task}/detected_beats_per_record.tsv",
            caption="../report/classify_detected_beats_per_record.rst",
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
        denoise=config["denoise"],
        beats=config["beats"],
    script:
        "../scripts/evaluate_detected_beats.py"
