"""Analyst tools and the background jobs that run them (loading police.uk data, rebuilding the
base mart, publishing a Scorecard edition, importing area boundaries).

Views only queue a :class:`~.models.Job`; ``saferplaces worker`` (:mod:`.worker`) claims it,
runs the library (:mod:`.tasks`) and records progress and the result in the application
database, where the job's page reads them.
"""
