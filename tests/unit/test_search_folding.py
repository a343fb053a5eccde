"""Search folding: a name with æ, ø and å is found whatever mix of spellings is typed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from projections.directory import fold

# Each Danish letter and the ways people type it without a Danish keyboard.
SPELLINGS = {"æ": ("æ", "ae", "a"), "ø": ("ø", "oe", "o"), "å": ("å", "aa", "a")}


def found(name: str, query: str) -> bool:
    """Whether the directory's search finds `name` by `query` (its LIKE on the folded
    spellings, as `projections.directory.search` sends it)."""
    stored = "|".join(fold(name))
    return any(spelling in stored for spelling in set(fold(query)))


@pytest.mark.parametrize(
    "query",
    ["Æblegård", "aeblegaard", "aeblegard", "ablegaard", "ablegard", "AEBLEGARD", "AeBlEgÅrD"],
)
def test_every_spelling_of_aeblegard_finds_it(query: str) -> None:
    """The issue's spellings, and a mix of cases, all find Æblegård."""
    assert found("Æblegård Frugt ApS", query)


@pytest.mark.parametrize(
    ("name", "query"),
    [("Æblegård Frugt ApS", "oeblegard"), ("Glans ApS", "æblegård"), ("Søby", "saby")],
)
def test_other_letters_do_not_match(name: str, query: str) -> None:
    """Folding joins the ways to type one letter, not different letters."""
    assert not found(name, query)


_LETTERS = st.sampled_from(list("abdegklnrstuv") + list(SPELLINGS))


@given(
    word=st.lists(_LETTERS, min_size=1, max_size=12),
    choices=st.lists(st.integers(0, 2), min_size=12, max_size=12),
    upper=st.lists(st.booleans(), min_size=12, max_size=12),
)
def test_any_mix_of_spellings_finds_the_name(
    word: list[str], choices: list[int], upper: list[bool]
) -> None:
    """Each æ, ø and å typed as itself, as two letters or as one, in any case: found."""
    name = "".join(word)
    typed = "".join(
        (SPELLINGS[c][choices[i]] if c in SPELLINGS else c).upper()
        if upper[i]
        else (SPELLINGS[c][choices[i]] if c in SPELLINGS else c)
        for i, c in enumerate(word)
    )
    assert found(name, typed), (name, typed)
