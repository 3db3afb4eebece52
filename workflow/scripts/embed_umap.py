"""Snakemake glue of rule embed_umap: UMAP of the CNN's features of the test beats (TSV)."""

from ecgbeats.runtime import logged
from ecgbeats.stages.embedding import UmapOptions, embed_umap

with logged(snakemake.log, snakemake.rule, threads=snakemake.threads):
    embed_umap(
        snakemake.input.dataset,
        snakemake.input.predictions,
        snakemake.input.model,
        table=snakemake.output.table,
        options=UmapOptions(**snakemake.params),
    )
