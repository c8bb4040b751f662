"""Per-bin genomic annotations: GC content, fraction of N, gene density.

``table`` holds the definitions shared by every backend; ``files`` computes
them from a local FASTA and GTF/GFF3; ``ensembl`` from the Ensembl REST API.
The table's columns are declared in :data:`chromapipe.tables.ANNOTATIONS`.
"""

from .table import gc_stats, genes_per_bin

__all__ = ["gc_stats", "genes_per_bin"]
