"""The lifecycle engine, store and entities of the simulator; imports nothing from Flask."""
from simulator.core.engine import SimConfig, Simulator

__all__ = ["SimConfig", "Simulator"]
