"""Algorithms built on the integrator: hybrid loops that submit many jobs and reuse its compile cache.

* :mod:`qhpc.algorithms.vqe`: the variational quantum eigensolver (with :mod:`.molecules`).
* :mod:`qhpc.algorithms.qaoa`: the QAOA compiler from annealing problems (binary quadratic models)
  to gate circuits, and ``qaoa.run``, the optimisation loop that finds the best sample on any
  gate backend.

Import the modules themselves (``from qhpc.algorithms import qaoa``); nothing here imports scipy.
"""
