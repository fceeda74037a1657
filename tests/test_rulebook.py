"""The rulebook loader refuses a wrong rulebook and says which file and rule is wrong."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from dmst import RulebookError, load_rulebook
from dmst.rules import normalize
from dmst.rules._coverage import coverage

from .conftest import RULES_DIR


def _edit(folder: Path, name: str, change: Callable[[str], str]) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    changed = change(text)
    assert changed != text, "the edit did not change the file"
    path.write_text(changed, encoding="utf-8")


def test_shipped_rulebook_loads_and_every_quote_is_in_the_source() -> None:
    """Every quote of the shipped rulebook is found verbatim (after normalisation) in the source."""
    rulebook = load_rulebook(cache=False)
    quotes = [c.quote for r in rulebook.rules for c in r.rule.cites]
    assert len(quotes) >= len(rulebook.rules)
    missing = [q for q in quotes if normalize(q) not in rulebook.source.normalized]
    assert missing == []


def test_a_quote_not_in_the_source_is_refused(rules_copy: Path) -> None:
    """Changing one word of a quote makes the rulebook fail to load, naming the file and rule."""
    _edit(rules_copy, "traffickers.yaml",
          lambda t: t.replace("face a sentence of 5–30 years", "face a sentence of 5–35 years", 1))
    with pytest.raises(RulebookError) as err:
        load_rulebook(rules_copy)
    text = str(err.value)
    assert "traffickers.yaml" in text and "quote not found" in text
    assert "charge.human_trafficking" in text
    assert any(p.field == "charge.human_trafficking" and "traffickers.yaml" in p.message
               and "quote not found" in p.message for p in err.value.problems)


#: Edits of the shipped rule files, each breaking one check, and the words the refusal must
#: hold: (what is wrong, the file, the text replaced, its replacement, the refusal).
REAL_EDITS = [
    ("a penalty figure the rule's own quotes do not state (penalties only as stated)",
     "traffickers.yaml", "penalty: {prison_years: {max: 10}, fine_usd: {max: 10000}}",
     "penalty: {prison_years: {max: 12}, fine_usd: {max: 10000}}", "figure 12 does not appear"),
    ("a term of years its quotes state only as an age ('a minor under 18')",
     "traffickers.yaml", "penalty: {prison_years: {min: 5, max: 30}",
     "penalty: {prison_years: {min: 5, max: 18}", "prison years figure 18 does not appear"),
    ("a misspelt fact path, with the path meant", "facilitators.yaml",
     "{fact: accused.conduct.sold_images, is: true}", "{fact: accused.conduct.sold_image, is: true}",
     "accused.conduct.sold_image'.*did you mean 'accused.conduct.sold_images'"),
    ("a true/false fact compared with a number", "facilitators.yaml",
     "{fact: accused.conduct.sold_images, is: true}",
     "{fact: accused.conduct.sold_images, lt: age_of_majority}",
     "operator 'lt' does not fit bool"),
    ("a parameter the rulebook does not have, with the closest name", "traffickers.yaml",
     "{fact: victim.age, lt: enticing_age}", "{fact: victim.age, lt: enticing_ages}",
     r"unknown parameter 'enticing_ages' \(did you mean 'enticing_age'\?\)"),
    ("a parameter whose value is not what its quote states ('under 18' is 18 years)",
     "rulebook.yaml", "  age_of_majority:\n    value: 18\n", "  age_of_majority:\n    value: 17\n",
     "value 17 years is not what 'under 18' states"),
    ("a derived parameter that is not its sum (3 years plus the 1-year extension)",
     "rulebook.yaml", "    value: 48\n", "    value: 47\n", "value 47 is not the sum of"),
    ("a presumption of a fact the fact model does not have", "rulebook.yaml",
     "  - fact: investigation.decoy\n    value: false\n",
     "  - fact: investigation.decoys\n    value: false\n", "unknown fact 'investigation.decoys'"),
    ("two rules with one id", "facilitators.yaml", "- id: charge.financial_benefit",
     "- id: charge.aiding_trafficking", "used twice"),
    ("a condition on a conclusion no rule adds", "protections.yaml",
     "{conclusion: status.trafficking_victim}", "{conclusion: status.trafficked_victim}",
     "no rule adds"),
    ("a rule that depends, through other rules, on its own conclusion", "criminalization.yaml",
     "      - {fact: victim.age, lt: age_of_majority}\n      - {fact: investigation.decoy, is: false}",
     "      - {fact: victim.age, lt: age_of_majority}\n      - {conclusion: status.csec_victim}",
     "cycle"),
    ("a statute key not in the source's table", "demand.yaml", "statute: procuring\n",
     "statute: procuring_section\n", "not in the statute table"),
]


@pytest.mark.parametrize(("file", "old", "new", "refusal"), [e[1:] for e in REAL_EDITS],
                         ids=[e[0] for e in REAL_EDITS])
def test_an_edit_of_the_shipped_rules_that_breaks_a_check_is_refused(
        rules_copy: Path, file: str, old: str, new: str, refusal: str) -> None:
    """The real rule files, edited in one place, fail to load with the check's message (the
    table of refusals in test_rulebook_refusals.py covers every check on small probe rules)."""
    _edit(rules_copy, file, lambda t: t.replace(old, new, 1))
    with pytest.raises(RulebookError, match=refusal):
        load_rulebook(rules_copy)


def test_a_number_written_in_a_rule_is_refused(rules_copy: Path) -> None:
    """A threshold is a parameter of rulebook.yaml, with its quote: a number literal in a rule's
    condition is refused, naming the rule."""
    _edit(rules_copy, "traffickers.yaml",
          lambda t: t.replace("{fact: victim.age, lt: enticing_age}", "{fact: victim.age, lt: 14}"))
    with pytest.raises(RulebookError, match="writes a number in a rule") as err:
        load_rulebook(rules_copy)
    assert [p.field for p in err.value.problems] == ["charge.enticing_child"]


def test_rules_that_could_give_and_deny_one_topic_are_refused(rules_copy: Path) -> None:
    """Two rules that could give and deny one topic in one result are refused: without the
    racketeering condition, 'no civil remedies for a CSEC victim' would meet the civil remedies
    of a CSEC victim who is a racketeering victim."""
    _edit(rules_copy, "protections.yaml",
          lambda t: t.replace(
              "      - {conclusion: status.csec_only_victim}\n"
              "      - {fact: victim.racketeering_victim, is: false}\n"
              "    then:\n      kind: protection\n"
              "      title: No civil remedies",
              "      - {conclusion: status.csec_only_victim}\n"
              "    then:\n      kind: protection\n"
              "      title: No civil remedies"))
    with pytest.raises(RulebookError) as err:
        load_rulebook(rules_copy)
    assert any(p.field == "protection.civil_remedies.csec_excluded"
               and "can deny 'civil_remedies'" in p.message
               and "protection.civil_remedies.racketeering" in p.message
               for p in err.value.problems)


def test_duplicate_yaml_keys_are_refused(rules_copy: Path) -> None:
    """A key given twice in a rule file is an error, not a silent overwrite, with its line."""
    _edit(rules_copy, "investigation.yaml",
          lambda t: t.replace("      topic: wiretap\n", "      topic: wiretap\n      topic: x\n"))
    with pytest.raises(RulebookError) as err:
        load_rulebook(rules_copy)
    assert "duplicate key 'topic'" in str(err.value)
    assert err.value.file == "investigation.yaml" and err.value.line is not None


def test_a_rule_not_matching_the_format_names_its_id(rules_copy: Path) -> None:
    """An unknown key in a rule is refused and the message names the rule."""
    _edit(rules_copy, "investigation.yaml",
          lambda t: t.replace("  - id: investigation.single_party_recording\n",
                              "  - id: investigation.single_party_recording\n    color: red\n"))
    with pytest.raises(RulebookError) as err:
        load_rulebook(rules_copy)
    assert "investigation.single_party_recording" in str(err.value)


def test_unknown_statute_sections_are_never_cited() -> None:
    """Statute rows of unknown confidence have no section, so no rule can cite a section for them."""
    rulebook = load_rulebook()
    for key, entry in rulebook.meta.statutes.items():
        if entry.confidence in ("unknown", "none"):
            assert entry.section is None, key
        else:
            assert entry.section, key


def test_the_packaged_source_text_matches_the_reference_copy() -> None:
    """The packaged source text equals the reference copy kept beside the repository, where
    there is one."""
    shared = Path(__file__).resolve().parents[2] / "shared" / "source" / "mississippi-report-card.txt"
    if not shared.exists():
        pytest.skip("no reference copy of the source beside this checkout")
    assert load_rulebook().source.text == shared.read_text(encoding="utf-8")


def test_every_sentence_of_the_source_is_covered() -> None:
    """Every sentence of the source is cited by a rule or listed as context only with a reason."""
    report = coverage(load_rulebook())
    assert report.uncovered == []
    assert report.cited + report.context_only == len(report.units)
    assert report.cited > 30


def test_a_heading_inside_a_longer_one_is_cut_out_whole() -> None:
    """The source is cut at its headings, longest first, so that a heading that holds a shorter
    one stays one unit."""
    from dmst.rules._source import Source

    source = Source(text="Criminal Provisions Criminal Provisions for Demand The law bars it.",
                    title="", publisher="", edition="", as_of=("", ""), url="",
                    headings=("Criminal Provisions", "Criminal Provisions for Demand"))
    assert source.sentences == ("Criminal Provisions", "Criminal Provisions for Demand",
                                "The law bars it.")


def test_removing_a_rule_leaves_its_sentence_uncovered(rules_copy: Path) -> None:
    """Coverage notices a sentence that no rule cites any more."""
    _edit(rules_copy, "facilitators.yaml", lambda t: t[: t.index("  - id: gap.sex_tourism")])
    report = coverage(load_rulebook(rules_copy))
    assert report.uncovered == ["No Mississippi law addresses sex tourism."]
    # an uncovered sentence is not context: the count of those stays the shipped one's
    assert report.context_only == coverage(load_rulebook(cache=False)).context_only


def test_a_cited_sentence_also_listed_as_context_counts_once_as_cited(rules_copy: Path) -> None:
    """A sentence a rule cites is cited, whatever else lists it: the counts still add up to the
    sentences of the source."""
    sentence = "No Mississippi law addresses sex tourism."
    _edit(rules_copy, "rulebook.yaml", lambda t: t.replace(
        "context_only:\n", f"context_only:\n  - quote: \"{sentence}\"\n"
        "    reason: Listed here too, for a test.\n", 1))
    report = coverage(load_rulebook(rules_copy))
    assert report.cited + report.context_only == len(report.units)
    assert report.context_only == coverage(load_rulebook(cache=False)).context_only


def test_the_fingerprint_is_16_hex_digits_that_an_edit_of_a_rule_file_changes(
        rules_copy: Path) -> None:
    """The stamp names the rulebook by 16 hex digits (as results, reports and the web service's
    header show them); a change to a rule file's words changes them."""
    shipped = load_rulebook(cache=False).fingerprint
    assert re.fullmatch(r"[0-9a-f]{16}", shipped)
    _edit(rules_copy, "facilitators.yaml", lambda t: t.replace("title:", "title: ", 1))
    assert load_rulebook(rules_copy).fingerprint not in (shipped, "")


BAD_YAML = {
    "alias bomb": "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                  "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                  "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
    "duplicate key": "a: 1\na: 2\n",
    "python tag": "x: !!python/object/apply:os.system [echo]\n",
    "alias cycle": "a: &x [1, *x]\n",
    "binary tag": "x: !!binary aGk=\n",
    "deep nesting": "[" * 60 + "]" * 60,
}


@pytest.mark.parametrize("text", BAD_YAML.values(), ids=BAD_YAML.keys())
def test_the_fast_rule_file_reader_keeps_every_limit(text: str) -> None:
    """Rule files are read with libyaml's parser, refusing what the scenario reader refuses,
    on the same line."""
    from dmst._yaml import YamlProblem, load_yaml

    with pytest.raises(YamlProblem) as slow:
        load_yaml(text)
    with pytest.raises(YamlProblem) as fast:
        load_yaml(text, fast=True)
    assert fast.value.line == slow.value.line


def test_the_fast_reader_reads_the_rule_files_as_the_safe_reader_does() -> None:
    """Both readers give the same data for every shipped rule file."""
    from dmst._yaml import load_yaml

    for path in RULES_DIR.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert load_yaml(text, fast=True) == load_yaml(text)
