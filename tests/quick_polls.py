"""``python tests/quick_polls.py ARGS``: ``python -m snakemake ARGS`` whose remote executor checks its jobs'
status at least every :data:`MOST` seconds.

For the tests' stand-in schedulers only (tests/slurm_cluster.py, tests/batch_server.py), which answer at
once: the executor plugins wait between status checks as a real cluster or AWS Batch needs, and no setting
shortens it (the SLURM plugin adds 10 s after each check that finds no job finished, up to 180 s; the
aws-batch plugin waits 5 s), so a test run spent most of its time waiting on a job that had ended. What
the plugins submit, check and report is unchanged: only the time between checks is capped. Users' runs
never import this file.
"""

import asyncio
import sys

#: The longest wait between two status checks, in seconds.
MOST = 1.0


def cap_status_check_waits(most=MOST):
    """Make every remote executor (the SLURM and aws-batch plugins') wait at most ``most`` seconds between checks."""
    from snakemake_interface_executor_plugins.executors.remote import RemoteExecutor

    async def sleep(self):
        wanted = self.next_seconds_between_status_checks
        await asyncio.sleep(min(most, wanted if wanted is not None else most))

    RemoteExecutor.sleep = sleep


if __name__ == "__main__":
    cap_status_check_waits()
    from snakemake.cli import main

    sys.argv[0] = "snakemake"
    main()
