"""Report-only rules: the summary table, and HTML renderings of the report's TSV tables.

`snakemake --report` shows images, PDFs and HTML inline but offers a TSV only as a download, so
every TSV report item gets an HTML twin in the same category, subcategory and caption. Include
this file after every stage's rule file: `report_targets()` looks up the TSV items' rules.
"""


include: "report_common.smk"


rule summary_table:
    input:
        metrics=expand("results/{{split}}/{task}/metrics.tsv", task=TASKS),
        comparisons=[
            f"results/{{split}}/{task}/paper_comparison.tsv"
            for task in TASKS
            if task in config["evaluation"]["paper_tables"]
        ],
        library=library("summary_table.py"),
    output:
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


rule render_table:
    input:
        "results/{table}.tsv",
        library=library("render_table.py"),
    output:
        report(
            "results/{table}.html",
            caption="../report/report_table.rst",
            category=table_report_value("category"),
            subcategory=table_report_value("subcategory"),
            labels=table_report_value("labels"),
        ),
    log:
        "logs/report/render_table/{table}.log",
    benchmark:
        "benchmarks/out/report/render_table/{table}.tsv"
    conda:
        "../envs/plotting.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        caption=table_caption,
    script:
        "../scripts/render_table.py"
