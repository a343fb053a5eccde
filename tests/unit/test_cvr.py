"""CVR numbers: normalisation and the modulus-11 check."""

from __future__ import annotations

import pytest

from domain.errors import InvalidCvrError
from domain.values import company_id, normalise_cvr


@pytest.mark.parametrize(
    "raw", ["13748136", "1374 8136", "13-74-81-36", "DK13748136", "dk 1374 8136", " 13748136 "]
)
def test_spaces_hyphens_and_dk_prefix_are_normalised(raw: str) -> None:
    """Every accepted spelling of a CVR normalises to its 8 digits."""
    assert normalise_cvr(raw) == "13748136"


def test_valid_checksums_pass() -> None:
    """Numbers whose weighted digit sum is a multiple of 11 are accepted."""
    assert normalise_cvr("24256790") == "24256790"


@pytest.mark.parametrize(
    "raw", ["24256791", "1374813", "137481360", "1374813X", "", "DK", "01234567", "١٣٧٤٨١٣٦"]
)
def test_malformed_or_failing_numbers_are_refused(raw: str) -> None:
    """A wrong checksum, length or character is an InvalidCvrError naming the input."""
    with pytest.raises(InvalidCvrError) as error:
        normalise_cvr(raw)
    assert "CVR" in error.value.detail


def test_same_cvr_always_reaches_the_same_stream() -> None:
    """The stream id is derived from the CVR, so it is stable across processes."""
    assert company_id("13748136") == company_id(normalise_cvr("DK 1374 8136"))
    assert company_id("13748136") != company_id("24256790")
