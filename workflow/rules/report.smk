"""Report-only rule: the summary table of all tasks beside the paper.

Like every rule with a TSV report item, it also declares the table's HTML view (written by the
stage with ecgbeats.table_views): `snakemake --report` shows HTML inline but offers a TSV only
as a download.
"""


rule summary_table:
    input:
        metrics_tables=expand("results/{{split}}/{task}/metrics.tsv", task=TASKS),
        comparisons=[
            f"results/{{split}}/{task}/paper_comparison.tsv"
            for task in TASKS
            if task in config["evaluation"]["paper_tables"]
        ],
        library=library("summary_table.py"),
    output:
        # The HTML view, written beside its table: unnamed, so not passed to the stage.
        report(
            "results/{split}/summary.html",
            caption="../report/report_summary.rst",
            category="summary",
            subcategory="evaluation",
            labels={"split": "{split}", "table": "all tasks, ours and the paper's"},
        ),
        table=report(
            "results/{split}/summary.tsv",
            caption="../report/report_summary.rst",
            category="summary",
            subcategory="evaluation",
            labels={"split": "{split}", "item": "all tasks, ours and the paper's"},
        ),
    log:
        "logs/report/{split}/summary_table.log",
    benchmark:
        "benchmarks/out/report/{split}/summary_table.tsv"
    wildcard_constraints:
        split="intra|inter",
    conda:
        "../envs/plotting.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        tasks=TASKS,
        paper_tasks=[t for t in TASKS if t in config["evaluation"]["paper_tables"]],
    script:
        "../scripts/summary_table.py"
