# The one adapter between a rule and its step: chromapipe.steps.STEPS[rule] is
# called with the rule's named input, output and params (and the chr wildcard)
# as keyword arguments, logging to the rule's log file. The garbage collector
# waits while the modules are imported (from_snakemake starts it again).
import gc

gc.disable()

from chromapipe.steps import from_snakemake  # noqa: E402

from_snakemake(snakemake)  # noqa: F821 (defined by Snakemake's script directive)
