"""Quotes are matched against the source after the documented normalisation."""

from __future__ import annotations

from dmst import load_rulebook
from dmst.rules import normalize


def test_line_end_hyphens_are_joined_and_white_space_folded() -> None:
    """A word split across lines by a hyphen is joined; runs of white space become one space."""
    assert normalize("impris-\nonment and  a\n\nfine") == "imprisonment and a fine"


def test_hyphens_inside_a_line_and_en_dashes_are_kept() -> None:
    """'victim-friendly' and '5–30' are not touched by normalisation."""
    assert normalize("victim-friendly 5–30 years") == "victim-friendly 5–30 years"


def test_a_sentence_broken_by_a_column_gap_matches() -> None:
    """A sentence interrupted by a blank line in the extracted text still matches as one quote."""
    source = load_rulebook().source
    assert source.contains(
        "a requirement to file a claim within 3 years, with a possible extension of 1 year if "
        "good cause is shown."
    )
    assert source.contains("Financial penalties are as high as $1,000,000 for enterprises "
                           "involved in human trafficking, and the enterprise may be restrained")


def test_curly_quotes_are_part_of_the_text() -> None:
    """A quote with straight quotes where the source has curly ones does not match."""
    source = load_rulebook().source
    assert source.contains("“promoting prostitution,” a CSEC offense")
    assert not source.contains('"promoting prostitution," a CSEC offense')


def test_headings_are_units_of_their_own() -> None:
    """Headings are split from the sentences that follow them."""
    sentences = load_rulebook().source.sentences
    assert "Criminal Provisions for Facilitators" in sentences
    assert any(s.startswith("Under Mississippi’s human trafficking law, aiding") for s in sentences)
