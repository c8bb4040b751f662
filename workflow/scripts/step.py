# The one adapter between a rule and its step: chromapipe.steps.STEPS[rule] is
# called with the rule's named input, output and params (and the chr wildcard)
# as keyword arguments, logging to the rule's log file.
from chromapipe.steps import from_snakemake

from_snakemake(snakemake)  # noqa: F821 (defined by Snakemake's script directive)
