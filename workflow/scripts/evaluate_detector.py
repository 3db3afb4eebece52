"""Rule evaluate_detector: ecgbeats.stages.detection.evaluate_detector."""

from ecgbeats.runtime import run_rule
from ecgbeats.stages.detection import evaluate_detector

run_rule(snakemake, evaluate_detector)
