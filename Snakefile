from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/preprocess.smk"
include: "workflow/rules/datasets.smk"
include: "workflow/rules/classify.smk"


rule all:
    input:
        data_targets(),
        dataset_targets(),
        detector_targets(),
    default_target: True
