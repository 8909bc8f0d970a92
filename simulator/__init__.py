"""InstaView API simulator: a pure core (simulator.core) behind a thin Flask shell (simulator.web)."""
