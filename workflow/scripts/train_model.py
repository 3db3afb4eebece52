"""Snakemake glue for ecgbeats.stages.training.train_model."""

from ecgbeats.balancing import BalanceOptions
from ecgbeats.runtime import logged
from ecgbeats.stages.training import train_model
from ecgbeats.training import TrainConfig

params = snakemake.params
with logged(snakemake.log, snakemake.rule, threads=snakemake.threads):
    train_model(
        snakemake.input.dataset,
        snakemake.input.split,
        snakemake.output.model,
        snakemake.output.history,
        balancing=BalanceOptions(**params.balance),
        network=params.model,
        training=TrainConfig(**params.train),
    )
