"""qhpc plugin for Quandela's Perceval: the ``perceval`` program format, translators to and from the
photonic model (:mod:`qhpc_interop.photonic`), the ``perceval.slos`` and ``perceval.naive``
emulators, and the ``perceval.dual-rail`` compiler from gate circuits to linear optics.

Importing this package (or :mod:`qhpc_perceval.plugin`) does not import Perceval.
"""

__version__ = "0.1.0"
