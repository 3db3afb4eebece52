from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/preprocess.smk"
include: "workflow/rules/datasets.smk"
include: "workflow/rules/training.smk"
include: "workflow/rules/classify.smk"
include: "workflow/rules/detection.smk"
include: "workflow/rules/evaluation.smk"
include: "workflow/rules/interpret.smk"
include: "workflow/rules/external.smk"
include: "workflow/rules/noise.smk"
include: "workflow/rules/report.smk"


onstart:
    check_devices()


rule all:
    default_target: True
    input:
        data_targets(),
        dataset_targets(),
        training_targets(),
        evaluation_targets(),
        interpret_targets(),
        detector_targets(),
        report_targets(),
        external_targets(),
        noise_targets(),
