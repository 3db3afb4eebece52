"""Rule embed_umap: ecgbeats.stages.embedding.embed_umap."""

from ecgbeats.runtime import run_rule
from ecgbeats.stages.embedding import embed_umap

run_rule(snakemake, embed_umap, threads=True)
