"""Fixtures for the core tests: a fresh manual-clock Simulator and a World helper."""
from __future__ import annotations

import pytest
from core_world import START, World

from simulator.core import SimConfig, Simulator


@pytest.fixture
def sim():
    return Simulator(SimConfig(clock_mode="manual", start=START, seed=7))


@pytest.fixture
def world(sim):
    return World(sim)
