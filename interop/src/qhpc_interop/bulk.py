"""Pausing Python's cyclic garbage collector while a translator builds a large circuit.

A translation allocates a few small objects per operation (a 55,000-gate circuit: several hundred
thousand), nearly all of which live on in the result. The collector's passes over them, and the
full collections they trigger over everything else the process holds, cost as much as the
translation itself and made its time vary two- to four-fold between identical runs. Translators
make no reference cycles worth collecting mid-way, so the collector waits until the step ends.
"""

from __future__ import annotations

import gc


class gc_paused:  # a lower-case name: used like a function, ``with gc_paused():``
    """Run the block with the cyclic collector off, and turn it back on after (if it was on).

    Nested or concurrent uses are safe: only the outermost one that found the collector on turns it
    back on; reference counting frees memory as usual meanwhile. (A class, not a generator-based
    context manager: a conversion enters three of these, and the generator's machinery cost more
    than the rest of a small conversion's bookkeeping.)
    """

    __slots__ = ("_resume",)

    def __enter__(self) -> None:
        self._resume = gc.isenabled()
        if self._resume:
            gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self._resume:
            gc.enable()
