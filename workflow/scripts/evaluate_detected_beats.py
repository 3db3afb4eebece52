"""Rule evaluate_detected_beats: ecgbeats.stages.detected_beats.evaluate_detected_beats."""

from ecgbeats.runtime import run_rule
from ecgbeats.stages.detected_beats import evaluate_detected_beats

run_rule(snakemake, evaluate_detected_beats, threads=True)
