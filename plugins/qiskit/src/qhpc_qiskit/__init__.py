"""qhpc plugin for Qiskit."""
