"""qhpc plugin for Pulser: ``pulser.Sequence`` programs, QuTiP emulators of Pulser's devices, and a
compiler from gate circuits to neutral-atom pulses.

Importing ``qhpc_pulser`` does not import Pulser; :mod:`qhpc_pulser.translate` does when it runs.
"""

__version__ = "0.1.0"
