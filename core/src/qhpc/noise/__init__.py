"""qhpc's NISQ calibration layer: noise models, calibration snapshots, calibrators.

* :mod:`.channels` - quantum channels (depolarizing, Pauli, amplitude and phase damping, thermal
  relaxation, coherent rotations, bit flips), each checked for complete positivity when built;
* :mod:`.model` - :class:`NoiseModel`: gate noise, durations, idle relaxation, ZZ crosstalk,
  readout (per qubit and correlated), preparation errors; JSON that round-trips exactly;
* :mod:`.calibration` - :class:`CalibrationSnapshot` (the documented schema) and the IBM loader;
* :mod:`.calibrators` - the ``from-calibration`` model; :mod:`.fit` adjusts a model to measured runs;
* :mod:`.schedule` - :func:`expand`: a circuit with its noise made explicit, which emulators run;
* :mod:`.simulate` - the exact density-matrix oracle for small noisy circuits.
"""

from __future__ import annotations

from .calibration import CalibrationSnapshot, GateCalibration, QubitCalibration, from_ibm_properties
from .calibrators import from_calibration
from .channels import (
    AmplitudeDamping,
    BitFlip,
    Channel,
    CoherentRotation,
    Depolarizing,
    NoiseModelError,
    PauliChannel,
    PhaseDamping,
    ThermalRelaxation,
)
from .model import (
    ANALOG_KEYS,
    PHOTONIC_KEYS,
    CorrelatedReadout,
    GateNoise,
    NoiseModel,
    QubitRelaxation,
    ReadoutError,
    ZZCoupling,
    as_noise_model,
)
from .schedule import ChannelOp, NoisyCircuit, expand

__all__ = [
    "ANALOG_KEYS",
    "PHOTONIC_KEYS",
    "AmplitudeDamping",
    "BitFlip",
    "CalibrationSnapshot",
    "Channel",
    "ChannelOp",
    "CoherentRotation",
    "CorrelatedReadout",
    "Depolarizing",
    "GateCalibration",
    "GateNoise",
    "NoiseModel",
    "NoiseModelError",
    "NoisyCircuit",
    "PauliChannel",
    "PhaseDamping",
    "QubitCalibration",
    "QubitRelaxation",
    "ReadoutError",
    "ThermalRelaxation",
    "ZZCoupling",
    "as_noise_model",
    "expand",
    "from_calibration",
    "from_ibm_properties",
]
