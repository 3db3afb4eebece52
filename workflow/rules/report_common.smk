"""Helpers of report.smk: find the report flag of a TSV item, the report targets."""

from types import SimpleNamespace

import jinja2
from snakemake.io import apply_wildcards, get_flag_value, is_flagged


def table_source(path):
    """(report flag, wildcards) of the rule output that makes TSV `path` a report item, or None."""
    for producer in workflow.rules:
        for output in producer.output:
            match = output.match(path) if str(output).endswith(".tsv") else None
            if match and is_flagged(output, "report"):
                return get_flag_value(output, "report"), match.groupdict()
    return None


def table_report_value(attribute):
    """Category, subcategory or labels of a rendered table: those of its TSV, wildcards applied."""

    def value(wildcards):
        flag, source_wildcards = table_source(f"results/{wildcards.table}.tsv")
        item = getattr(flag, attribute)
        if isinstance(item, dict):
            labels = {k: apply_wildcards(v, source_wildcards) for k, v in item.items()}
            # `item` moves to a `table` column: a changed `item` value would make the report
            # show the TSV and its HTML as one row with a toggle (two values, half each).
            item = labels.pop("item", "table")
            return {**labels, "table": item}
        return None if item is None else apply_wildcards(item, source_wildcards)

    return value


def table_caption(wildcards):
    """The caption of the TSV item, rendered as the report renders it (wildcards, config)."""
    flag, source_wildcards = table_source(f"results/{wildcards.table}.tsv")
    with open(flag.caption.get_path_or_uri(secret_free=True)) as handle:
        template = jinja2.Environment(
            trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined
        ).from_string(handle.read())
    wildcards = SimpleNamespace(**source_wildcards)
    return template.render(
        snakemake=SimpleNamespace(wildcards=wildcards, config=config)
    )


def report_tables():
    """The report's TSV tables for this config; only those some rule marks as report items."""
    split = config["split"]["scheme"]
    tables = [
        "results/datasets/beats_per_record.tsv",
        "results/detection/detector_gross.tsv",
        "results/detection/detector_per_record.tsv",
    ]
    for task in TASKS:
        base = f"results/{split}/{task}"
        tables += [
            f"results/datasets/{task}_class_counts.tsv",
            *(
                f"{base}/{name}.tsv"
                for name in (
                    "split_class_counts",
                    "training_history",
                    "metrics",
                    "detected_beats_metrics",
                    "detected_beats_per_record",
                )
            ),
        ]
        if task in config["evaluation"]["paper_tables"]:
            tables.append(f"{base}/paper_comparison.tsv")
    # The summary needs the evaluation stage's metrics.
    if any(r.name == "evaluate_model" for r in workflow.rules):
        tables.append(f"results/{split}/summary.tsv")
    return [t for t in tables if table_source(t) is not None]


def report_targets():
    """The summary table and an HTML rendering of every TSV report item."""
    tables = report_tables()
    return tables + [t.removesuffix(".tsv") + ".html" for t in tables]
