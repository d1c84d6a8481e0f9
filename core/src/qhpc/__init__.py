"""qhpc: run quantum programs from any framework on emulators and QPUs in an HPC centre."""
