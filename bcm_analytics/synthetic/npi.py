"""Synthetic NPIs that pass the CMS check-digit test.

Reconciliation compares billing NPIs with the treating provider's, and the contracts warn on an
NPI whose check digit is wrong, so synthetic NPIs must be valid, or the demo data would trip
checks that real data passes.
"""

from __future__ import annotations

import numpy as np

from bcm_analytics.npi import npi_check_digit


def make_npis(rng: np.random.Generator, count: int) -> list[str]:
    """`count` distinct valid NPIs starting with 1 (the range CMS gives individual providers)."""
    bases: set[str] = set()
    chosen: list[str] = []
    while len(chosen) < count:
        base = "1" + "".join(map(str, rng.integers(0, 10, 8)))
        if base not in bases:
            bases.add(base)
            chosen.append(base + str(npi_check_digit(base)))
    return chosen
