"""Ids, keys, secrets and generated content from one seeded RNG, so `--seed` repeats exactly."""
from __future__ import annotations

import random
import string
import uuid

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


class IdGenerator:
    """With a seed: `random.Random(seed)` (repeatable). Without: the OS CSPRNG."""

    def __init__(self, seed: int | str | None = None):
        self.seed = seed
        self.reseed()

    def reseed(self) -> None:
        self.rng: random.Random = (
            random.SystemRandom() if self.seed is None else random.Random(self.seed)
        )

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def api_key(self) -> str:
        return "sk_" + "".join(self.rng.choice(BASE62) for _ in range(43))

    def hex_secret(self, length: int = 64) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(length))
