"""The imports' Celery tasks, where Celery's autodiscovery looks for them.

A large ledger's job is recorded, queued and run in `imports.jobs`, which holds its task
beside the code that queues it (one module, no import cycle).
"""

from imports.jobs import run_import_job

__all__ = ["run_import_job"]
