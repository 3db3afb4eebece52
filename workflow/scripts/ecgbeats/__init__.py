"""Explainable ECG beat classification: the science behind the Snakemake workflow.

Every module holds pure, typed functions (numpy arrays in, numpy arrays out). The scripts in
``workflow/scripts`` glue them to Snakemake.
"""

__version__ = "0.1.0"
