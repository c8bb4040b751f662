"""Per-bin genomic annotations: GC content, fraction of N, gene density.

``table`` holds the definitions shared by every backend; ``files`` computes
them from a local FASTA and GTF/GFF3.
"""

from .table import ANNOTATION_COLUMNS, ANNOTATION_SCHEMA, gc_stats, genes_per_bin

__all__ = ["ANNOTATION_COLUMNS", "ANNOTATION_SCHEMA", "gc_stats", "genes_per_bin"]
