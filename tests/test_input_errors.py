"""Bad input: every malformed scenario gets a clear error naming the file, line or field, and
exit code 1, never a traceback, through typer's runner and through the real command.

The corpus is ``tests/malformed/``: one file per kind of mistake. ``CORPUS`` says, for each, the
line the message must point at (or None), a field it must name (or None) and a phrase it must
contain.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from typer.testing import CliRunner

from dmst import Engine, FactError, RulebookError, SourceFileError, load_case_file, load_rulebook
from dmst._yaml import MAX_ALIASES, YamlProblem, load_yaml
from dmst.cli import app
from dmst.facts.load import MAX_FILE_BYTES, load_case_stream, parse_case

runner = CliRunner()
MALFORMED = Path(__file__).resolve().parent / "malformed"

#: file -> (line, field, phrase)
CORPUS: dict[str, tuple[int | None, str | None, str]] = {
    "empty.yaml": (None, None, "the file is empty"),
    "blank.yaml": (None, None, "the file is empty"),
    "comment_only.yaml": (None, None, "holds no data"),
    "binary.yaml": (None, None, "binary file"),
    "latin1.yaml": (1, None, "not UTF-8 text"),
    "utf16.yaml": (None, None, "UTF-16"),
    "syntax_error.yaml": (7, None, "in the list that starts on line 6"),
    "bad_indent.yaml": (4, None, "indented differently"),
    "two_documents.yaml": (4, None, "remove the second '---'"),
    "billion_laughs.yaml": (6, None, "through YAML aliases"),
    "deep_nesting.yaml": (2, None, "nested more than 20 levels"),
    "deep_nesting.json": (None, None, "nested too deeply"),
    "yaml_in_json.json": (1, None, "rename it to .yaml"),
    "bad_json.json": (1, None, "not valid JSON"),
    "duplicate_key.yaml": (4, None, "duplicate key 'age' (first on line 3)"),
    "duplicate_key.json": (1, None, "duplicate key 'age'"),
    "python_object.yaml": (1, None, "the tag '!!python/object/apply:os.system' is not allowed"),
    "custom_tag.yaml": (2, None, "the tag '!victim' is not allowed"),
    "complex_key.yaml": (2, None, "a mapping key must be a plain value"),
    "top_list.yaml": (1, None, "the top level is a list"),
    "top_scalar.yaml": (1, None, "the top level is a string"),
    "facts_scalar.yaml": (1, "facts", "must be a mapping of facts, not 15"),
    "no_facts.yaml": (None, "facts", "is missing: add 'facts:'"),
    "misspelt_fact.yaml": (4, "facts.victim.agee", "did you mean 'facts.victim.age'?"),
    "misspelt_group.yaml": (2, "facts.victm", "did you mean 'facts.victim'?"),
    "misspelt_top.yaml": (2, "fact", "did you mean 'facts'?"),
    "misspelt_conduct.yaml": (5, "facts.accused.conduct.bought_comercial_sex",
                              "did you mean 'facts.accused.conduct.bought_commercial_sex'?"),
    "expected_unknown.yaml": (5, "expected.conclusion", "did you mean 'expected.conclusions'?"),
    "title_number.yaml": (1, "title", "must be text, not 42"),
    "age_text.yaml": (3, "facts.victim.age", 'must be a whole number, not "fifteen" (text)'),
    "age_bool.yaml": (3, "facts.victim.age", "must be a whole number, not true (boolean)"),
    "age_quoted_number.yaml": (3, "facts.victim.age", 'not "15" (text)'),
    "age_fraction.yaml": (3, "facts.victim.age", "must be a whole number, not 15.5"),
    "bool_text.yaml": (3, "facts.investigation.decoy", 'must be true or false, not "false"'),
    "bool_number.yaml": (3, "facts.investigation.decoy", "must be true or false, not 1"),
    "age_negative.yaml": (3, "facts.victim.age", "must be at least 0, not -3"),
    "age_300.yaml": (3, "facts.victim.age", "must be at most 120, not 300"),
    "offense_future.yaml": (3, "facts.dates.offense", "is in the future"),
    "date_invalid.yaml": (3, "facts.dates.offense", "'2018-13-45' is not a date"),
    "date_words.yaml": (3, "facts.dates.offense", "write it as YYYY-MM-DD"),
    "date_time.yaml": (3, "facts.dates.offense", "not a date and time"),
    "role_unknown.yaml": (3, "facts.accused.roles.0", "use one of 'trafficker', 'buyer'"),
    "roles_not_list.yaml": (3, "facts.accused.roles", "must be a list"),
    "roles_twice.yaml": (3, "facts.accused.roles", "lists 'buyer' more than once"),
    "testimony_before_offense.yaml": (
        4, "facts.victim.age_at_testimony",
        "victim.age_at_testimony (12) is less than victim.age (15)"),
    "claim_before_offense.yaml": (
        5, "facts.compensation.claim_filed",
        "compensation.claim_filed (2017-01-02) is before dates.offense (2018-05-14)"),
    "many_problems.yaml": (3, "facts.victim.enganged_in_commercial_sex", "3 problems"),
    # numbers and booleans that YAML 1.1 reads as another value: refused, named as written
    "age_octal.yaml": (3, "facts.victim.age", '"015" as written'),
    "age_octal_17.yaml": (3, "facts.victim.age", "YAML 1.1 read 017 as 15"),
    "age_hex.yaml": (3, "facts.victim.age", "YAML 1.1 read 0x10 as 16"),
    "age_binary.yaml": (3, "facts.victim.age", "YAML 1.1 read 0b1111 as 15"),
    "age_sexagesimal.yaml": (3, "facts.victim.age", "YAML 1.1 read 1:30 as 90"),
    "age_underscore.yaml": (3, "facts.victim.age", "YAML 1.1 read 1_5 as 15"),
    "age_leading_zero.yaml": (3, "facts.victim.age", "if you mean 8, write 8"),
    "age_int_tag_octal.yaml": (3, "facts.victim.age", "'!!int 015' is not a whole number"),
    "bool_yes.yaml": (3, "facts.investigation.decoy", "YAML 1.1 read it as true"),
    "bool_on.yaml": (3, "facts.investigation.decoy", "on is text in YAML 1.2"),
    "bool_off.yaml": (3, "facts.investigation.decoy", "YAML 1.1 read it as false"),
    "merge_overwrite.yaml": (3, "facts.victim.age", "through a merge key '<<'"),
    "merge_override.yaml": (5, "facts.victim.age", "may add keys but not replace them"),
    # keys are names, read as written
    "key_on.yaml": (2, "facts.on", "unknown fact name"),
    "key_null.yaml": (2, "facts.~", "unknown fact name"),
    "key_date.yaml": (2, "facts.2018-01-01", "unknown fact name"),
    # invisible differences spelt out
    "key_trailing_space.yaml": (3, "facts.victim.'age '", "the key 'age ' ends with a space"),
    "key_empty.yaml": (3, "facts.victim.''", "the key '' has an empty part"),
    "key_dotted_empty_part.yaml": (2, "facts.'victim.'", "the key 'victim.' has an empty part"),
    "key_dotted_twice.yaml": (5, "facts.victim.age", "is given twice (once as a dotted key, "
                              "once nested)"),
    "key_dotted_and_value.yaml": (3, "facts.victim", "is given twice (once as a dotted key, "
                                  "once nested)"),
    "key_cyrillic.yaml": (3, "facts.victim.\u0430ge",
                          "'\\u0430ge' contains U+0430 CYRILLIC SMALL LETTER A"),
    "key_zero_width.yaml": (3, "facts.victim.a\\u200bge",
                            "contains the invisible character U+200B ZERO WIDTH SPACE"),
    # bounded input
    "age_huge.yaml": (3, "facts.victim.age", "has 5,000 digits; a number here has at most 15"),
    "age_huge.json": (1, "facts.victim.age", "has 5,000 digits"),
    "roles_many.yaml": (3, "facts.accused.roles", "a list of 300 items"),
    # not text, not a scenario
    "title_surrogate.yaml": (1, "title", "is not Unicode text: it holds a lone surrogate"),
    "title_surrogate.json": (1, "title", "'\\udc80' is not Unicode text"),
    "password_file": (1, None, "this is not a scenario file: none of its 3 top-level keys"),
}


def _dmst_command() -> list[str]:
    script = Path(sys.executable).with_name("dmst")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dmst"]


def _check_message(text: str, path: Path, line: int | None, field: str | None,
                   phrase: str) -> None:
    assert "Traceback" not in text
    assert text.startswith(f"dmst: error: {path}"), text
    if line is not None:
        assert text.startswith(f"dmst: error: {path}:{line}:"), text
    if field is not None:
        assert f"- {field}:" in text, text
    assert phrase in text, text


def test_the_corpus_is_complete() -> None:
    """Every file in tests/malformed has an expectation, and every expectation a file."""
    files = {p.name for p in MALFORMED.iterdir() if p.is_file()}
    assert files - {"json_in_yaml.yaml"} == set(CORPUS)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_malformed_file_through_the_runner(name: str) -> None:
    """Each malformed file exits 1 with one message naming the file, line, field and the fix."""
    path = MALFORMED / name
    out = runner.invoke(app, ["evaluate", str(path)])
    assert out.exit_code == 1, out.output
    assert out.stdout == ""
    _check_message(out.stderr, path, *CORPUS[name])


def test_malformed_files_through_the_installed_command() -> None:
    """The real `dmst` process gives the same exit code and message for each malformed file,
    with no traceback on stderr."""
    def run(name: str) -> tuple[str, subprocess.CompletedProcess[str]]:
        proc = subprocess.run([*_dmst_command(), "evaluate", str(MALFORMED / name)],
                              check=False, capture_output=True, text=True, timeout=120)
        return name, proc

    with ThreadPoolExecutor(4) as pool:
        runs = list(pool.map(run, sorted(CORPUS)))
    for name, proc in runs:
        assert proc.returncode == 1, (name, proc.stderr)
        assert proc.stdout == ""
        _check_message(proc.stderr, MALFORMED / name, *CORPUS[name])


def test_missing_huge_and_directory_inputs_through_the_installed_command(tmp_path: Path) -> None:
    """The real `dmst` process: a missing file, a file over the size limit and a directory each
    exit 1 with a message naming the path and what to do, and no traceback."""
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES * 50)
    cases = [(tmp_path / "nope.yaml", "no such file; check the path"),
             (big, f"limited to {MAX_FILE_BYTES:,} bytes"),
             (tmp_path, "is a directory")]
    for path, phrase in cases:
        proc = subprocess.run([*_dmst_command(), "evaluate", str(path)], check=False,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 1, proc.stderr
        _check_message(proc.stderr, path, None, None, phrase)


def test_a_yaml_file_holding_json_is_read() -> None:
    """JSON is YAML: a .yaml file holding a JSON object is evaluated normally."""
    out = runner.invoke(app, ["evaluate", str(MALFORMED / "json_in_yaml.yaml"), "-f", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["facts"]["victim.age"] == 15


def test_json_text_in_a_yaml_file_is_read_as_json(tmp_path: Path) -> None:
    """Text that looks like JSON is read as JSON, so 1e1 is the number 10, as JSON says."""
    path = tmp_path / "case.yaml"
    path.write_text('{"facts": {"victim": {"age": 1e1}}}', encoding="utf-8")
    with pytest.raises(FactError) as caught:
        load_case_file(path)
    assert "must be a whole number, not 10.0" in caught.value.render()


def test_flow_yaml_in_a_yaml_file_still_reads(tmp_path: Path) -> None:
    """A flow-style YAML mapping that is not JSON ({victim: {age: 15}}) is still YAML."""
    path = tmp_path / "case.yaml"
    path.write_text("{facts: {victim: {age: 15}}}", encoding="utf-8")
    assert load_case_file(path).facts.victim.age == 15


def test_missing_file(tmp_path: Path) -> None:
    """A path that does not exist: exit 1, the path named, what to do."""
    missing = tmp_path / "nope.yaml"
    out = runner.invoke(app, ["evaluate", str(missing)])
    assert out.exit_code == 1
    _check_message(out.stderr, missing, None, None, "no such file; check the path")


def test_a_directory_is_not_a_scenario_file(tmp_path: Path) -> None:
    """Giving a directory to evaluate points to dmst batch."""
    out = runner.invoke(app, ["evaluate", str(tmp_path)])
    assert out.exit_code == 1
    _check_message(out.stderr, tmp_path, None, None, "dmst batch reads a whole directory")


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    """A file over MAX_FILE_BYTES is refused from its size, without being read."""
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:  # a sparse file: large, but nothing to read
        handle.truncate(MAX_FILE_BYTES * 50)
    out = runner.invoke(app, ["evaluate", str(big)])
    assert out.exit_code == 1
    _check_message(out.stderr, big, None, None, f"limited to {MAX_FILE_BYTES:,} bytes")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_device_is_not_read() -> None:
    """A device (/dev/zero never ends) is refused as not a regular file, without reading it."""
    with pytest.raises(SourceFileError) as caught:
        load_case_file("/dev/zero")
    assert "is a device, not a regular file" in caught.value.message


def test_an_endless_stream_is_read_only_up_to_the_limit() -> None:
    """A stream that never ends is cut off at the size limit."""
    class Endless(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            buffer[:] = b"#" * len(buffer)
            return len(buffer)

    with pytest.raises(SourceFileError) as caught:
        load_case_stream(io.BufferedReader(Endless()), name="<stdin>")
    assert f"more than {MAX_FILE_BYTES:,} bytes" in caught.value.message


def test_an_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file that cannot be opened: exit 1 and 'permission denied', whoever runs the tests."""
    path = tmp_path / "case.yaml"
    path.write_text("facts: {}\n", encoding="utf-8")

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", refuse)
    out = runner.invoke(app, ["evaluate", str(path)])
    assert out.exit_code == 1
    _check_message(out.stderr, path, None, None, "permission denied")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="file permissions do not stop root")
def test_an_unreadable_file_through_the_installed_command(tmp_path: Path) -> None:
    """The real command says 'permission denied' for a file it may not read."""
    path = tmp_path / "case.yaml"
    path.write_text("facts: {}\n", encoding="utf-8")
    path.chmod(0)
    proc = subprocess.run([*_dmst_command(), "evaluate", str(path)], check=False, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 1 and "permission denied" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_usage_errors_exit_2() -> None:
    """A missing argument or an unknown option is typer's usage error, exit 2."""
    assert runner.invoke(app, ["evaluate"]).exit_code == 2
    assert runner.invoke(app, ["evaluate", "x.yaml", "--nope"]).exit_code == 2
    assert runner.invoke(app, ["batch"]).exit_code == 2
    assert runner.invoke(app, ["batch", "x.jsonl", "--jobs", "0"]).exit_code == 2


# --- the library -----------------------------------------------------------------------------


def test_yaml_never_constructs_objects(tmp_path: Path) -> None:
    """A !!python tag is refused before anything runs: the directory it would make is not made."""
    target = tmp_path / "made-by-yaml"
    with pytest.raises(YamlProblem) as caught:
        load_yaml(f"x: !!python/object/apply:os.mkdir ['{target}']")
    assert "is not allowed" in caught.value.message and caught.value.line == 1
    assert not target.exists()


@pytest.mark.parametrize("text", [
    "x: !!binary aGVsbG8=", "x: !!set {a, b}", "x: !!omap [{a: 1}]", "x: !!python/name:os.system",
])
def test_yaml_reads_plain_values_only(text: str) -> None:
    """Only plain values are read: binary, sets, ordered maps and Python names are refused."""
    with pytest.raises(YamlProblem, match="is not allowed"):
        load_yaml(text)


def test_yaml_merge_keys_and_plain_anchors_still_work() -> None:
    """A few aliases and a merge key ('<<') are plain YAML and are read."""
    assert load_yaml("base: &b {x: 1}\nm:\n  <<: *b\n  y: 2\n")["m"] == {"x": 1, "y": 2}


def test_yaml_alias_count_is_limited() -> None:
    """More than MAX_ALIASES aliases are refused, naming the line."""
    text = "a: &a 1\nb: [" + ", ".join(["*a"] * (MAX_ALIASES + 1)) + "]\n"
    with pytest.raises(YamlProblem, match="aliases") as caught:
        load_yaml(text)
    assert caught.value.line == 2


def test_yaml_alias_cycles_are_refused() -> None:
    """An alias inside the mapping it names (a cycle) is refused."""
    with pytest.raises(YamlProblem, match="a cycle"):
        load_yaml("facts: &a {victim: *a}")


def test_yaml_duplicate_keys_are_refused() -> None:
    """A key given twice in one mapping is refused with both lines."""
    with pytest.raises(YamlProblem, match=r"duplicate key 'a' \(first on line 1\)") as caught:
        load_yaml("a: 1\nb: 2\na: 3\n")
    assert caught.value.line == 3


def test_rule_files_are_read_safely(tmp_path: Path) -> None:
    """A rule file with a !!python tag is refused, naming the file and line, and nothing runs."""
    rules = tmp_path / "rules"
    shutil.copytree(str(resources.files("dmst.rules")), rules,
                    ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    target = tmp_path / "made-by-yaml"
    demand = rules / "demand.yaml"
    demand.write_text(demand.read_text(encoding="utf-8")
                      + f"\nextra: !!python/object/apply:os.mkdir ['{target}']\n",
                      encoding="utf-8")
    with pytest.raises(RulebookError) as caught:
        load_rulebook(rules)
    assert caught.value.file == "demand.yaml" and caught.value.line is not None
    assert "is not allowed" in caught.value.message
    assert not target.exists()


def test_a_misspelt_fact_in_a_mapping_suggests_the_name(engine: Engine) -> None:
    """Facts given as a mapping to the library name the field as a scenario file does
    (facts.victim.agee), so one field path means one place whatever the input."""
    with pytest.raises(FactError) as caught:
        engine.evaluate({"victim": {"agee": 15}})
    problem = caught.value.problems[0]
    assert problem.field == "facts.victim.agee" and problem.suggestion == "facts.victim.age"
    assert caught.value.field == "facts.victim.agee"


def test_facts_that_are_not_a_mapping(engine: Engine) -> None:
    """Facts given as something other than a mapping are a FactError, not a crash."""
    with pytest.raises(FactError, match="must be a mapping"):
        engine.evaluate(["victim"])  # type: ignore[arg-type]


def test_an_unknown_key_without_a_close_match_lists_the_allowed_names() -> None:
    """With no close name, the message lists the names allowed at that place."""
    with pytest.raises(FactError) as caught:
        parse_case("facts:\n  victim:\n    zzz: 1\n", name="case.yaml")
    message = caught.value.problems[0].message
    assert "the names allowed here are age, age_at_testimony" in message


def test_every_problem_is_reported_at_once() -> None:
    """Several mistakes in one file are all listed, each with its field and line."""
    with pytest.raises(FactError) as caught:
        load_case_file(MALFORMED / "many_problems.yaml")
    fields = [(p.field, p.line) for p in caught.value.problems]
    assert fields == [("facts.victim.age", 3), ("facts.victim.enganged_in_commercial_sex", 4),
                      ("facts.accused.roles.0", 6)]


def test_a_huge_value_is_shortened_in_the_message() -> None:
    """A very long wrong value is cut short in the message, not echoed whole."""
    with pytest.raises(FactError) as caught:
        parse_case('{"facts": {"victim": {"age": "' + "x" * 100_000 + '"}}}')
    assert len(caught.value.render()) < 400


# --- values read exactly as written --------------------------------------------------------


@pytest.mark.parametrize(("text", "value"), [
    ("15", 15), ("-3", -3), ("+7", 7), ("0", 0), ("1.5", 1.5), ("2.5e3", 2500.0),
    ("1e3", "1e3"), ("0E0", "0E0"),
    ("true", True), ("False", False), ("null", None), ("~", None), ("", None),
    ("015", "015"), ("017", "017"), ("0o17", "0o17"), ("0x10", "0x10"), ("0b1111", "0b1111"),
    ("1:30", "1:30"), ("1_5", "1_5"), ("08", "08"), ("yes", "yes"), ("no", "no"),
    ("on", "on"), ("off", "off"), ("y", "y"), ("=", "="),
])
@pytest.mark.parametrize("fast", [False, True])
def test_yaml_scalars_are_read_as_json_reads_them(text: str, value: object, fast: bool) -> None:
    """Plain decimal numbers, true/false and null are read as such; every form YAML 1.1 would
    turn into another number or a boolean stays the text written, on both parsers."""
    assert load_yaml(f"a: {text}\n", fast=fast) == {"a": value}


@pytest.mark.parametrize("fast", [False, True])
def test_yaml_keys_are_the_text_written(fast: bool) -> None:
    """A key is a name: on, ~, 1 and a date are the keys "on", "~", "1" and "2018-01-01"."""
    text = "on: 1\n~: 2\n1: 3\n2018-01-01: 4\n'yes': 5\n"
    assert load_yaml(text, fast=fast) == {"on": 1, "~": 2, "1": 3, "2018-01-01": 4, "yes": 5}


def test_merge_keys_may_add_but_never_replace() -> None:
    """A merge that only adds keys is read; one whose keys collide is a duplicate key."""
    assert load_yaml("b: &b {x: 1}\nm:\n  <<: *b\n  y: 2\n")["m"] == {"x": 1, "y": 2}
    with pytest.raises(YamlProblem, match="duplicate key 'x'"):
        load_yaml("b: &b {x: 1}\nm:\n  <<: *b\n  x: 2\n")
    with pytest.raises(YamlProblem, match="duplicate key 'age'"):
        load_yaml("m:\n  <<: [{age: 15}, {age: 16}]\n")


@pytest.mark.parametrize("tagged", ["!!int 015", "!!int 0x10", "!!int 1:30", "!!bool yes",
                                    "!!float 1_000.5", "!!float 1:30.5"])
def test_explicit_tags_do_not_bring_back_yaml_1_1(tagged: str) -> None:
    """A tag cannot make 015 octal or yes true: it is refused, naming the line."""
    with pytest.raises(YamlProblem, match="as YAML 1.2 and JSON write it") as caught:
        load_yaml(f"a: {tagged}\n")
    assert caught.value.line == 1


def test_an_octal_looking_age_never_changes_the_conclusions(engine: Engine) -> None:
    """age: 015 is refused, never evaluated as 13 (which would add enticing a child under 14)."""
    with pytest.raises(FactError) as caught:
        parse_case("facts:\n  victim: {age: 015}\n  accused: {roles: [trafficker]}\n")
    assert caught.value.field == "facts.victim.age"
    assert "YAML 1.1 read 015 as 13" in caught.value.problems[0].message


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**15 + 1, 10**15 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=12,
)


@given(_json_values)
def test_json_text_reads_the_same_as_yaml(value: object) -> None:
    """JSON is YAML 1.2: any JSON document reads to the same value through the YAML reader
    (so a scenario means the same thing whichever way it is written), but for a number in
    exponent form without a dot (1e-05), which YAML 1.1 reads as text and so stays text."""
    text = json.dumps({"v": value})
    assume(not re.search(r"(?<![.\d])\d+[eE]", text))
    assert load_yaml(text) == json.loads(text)
    assert load_yaml(text, fast=True) == json.loads(text)
