"""National Provider Identifiers that pass the CMS check-digit test.

Reconciliation compares billing NPIs with the treating provider's, and a loader may reject an
NPI whose check digit is wrong, so synthetic NPIs must be valid, or the demo data would trip
checks that real data passes. CMS defines the check digit as the Luhn digit of the 9-digit base
prefixed with 80840 (the US health-industry issuer prefix).
"""

from __future__ import annotations

import numpy as np

ISSUER_PREFIX = "80840"


def _luhn_check_digit(digits: str) -> int:
    """The digit that, appended to `digits`, makes the whole string pass the Luhn test."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:  # these become the odd positions once the check digit is appended
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return (10 - total % 10) % 10


def npi_check_digit(base: str) -> int:
    """Check digit for a 9-digit NPI base."""
    if len(base) != 9 or not base.isdigit():
        raise ValueError(f"an NPI base is 9 digits, got {base!r}")
    return _luhn_check_digit(ISSUER_PREFIX + base)


def is_valid_npi(npi: str) -> bool:
    """True for a 10-digit NPI whose last digit is the CMS check digit."""
    npi = str(npi)
    return len(npi) == 10 and npi.isdigit() and npi_check_digit(npi[:9]) == int(npi[9])


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
