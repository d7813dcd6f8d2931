"""The agent loop's internals (private: the public surface is ``corral.Agent`` and ``corral.RunResult``).

``loop`` is the step machine (a generator yielding requests), ``steps`` and ``toolphase`` its
phases, ``drivers`` carry the requests out (sync and async), ``policy`` is the run's policy: limits,
tool choice, guard stages, output validation, and the texts it says back to the model.
"""
