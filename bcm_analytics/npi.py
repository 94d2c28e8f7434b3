"""National Provider Identifiers: the CMS check-digit test.

CMS defines the check digit as the Luhn digit of the 9-digit base prefixed with 80840 (the US
health-industry issuer prefix). The contracts check billing NPIs with it (in SQL as the macro
bcm_npi_valid, and here for great-expectations), and the synthetic program makes NPIs that pass.
"""

from __future__ import annotations

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
    if len(base) != 9 or not base.isascii() or not base.isdigit():
        raise ValueError(f"an NPI base is 9 digits, got {base!r}")
    return _luhn_check_digit(ISSUER_PREFIX + base)


def is_valid_npi(npi) -> bool:
    """True for a 10-digit NPI whose last digit is the CMS check digit."""
    npi = str(npi)
    return len(npi) == 10 and npi.isascii() and npi.isdigit() and npi_check_digit(npi[:9]) == int(npi[9])
