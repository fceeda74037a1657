"""The web page in a real headless browser (the system's Chromium, driven by Playwright): a person
fills the form (an age exact or as a range), reads the charges, asks why not, tries a what-if,
follows the guided questions, writes a case of several people and reads it pair by pair, browses
the rulebook beside the source; axe-core checks WCAG 2.1 AA along the way; and nothing is fetched
from anywhere but the server.

Screenshots are kept in build/test-artifacts/ (or $DMST_TEST_ARTIFACTS).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from dmst import Engine
from dmst.engine.result import CaseResult
from dmst.facts.load import CaseFile, load_case_file
from dmst.facts.paths import FACTS, flatten
from dmst.report._words import format_penalty, format_value
from dmst.web import Settings, create_app

from .conftest import EXAMPLES, ROOT, free_port

playwright_api = pytest.importorskip("playwright.sync_api")
uvicorn = pytest.importorskip("uvicorn")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(os.environ.get("DMST_TEST_ARTIFACTS", ROOT / "build" / "test-artifacts"))
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TOKEN = "a-token-for-the-browser-tests"

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("CI must install Chromium (apt-get install chromium) for the page's tests")
    pytest.skip("no Chromium on this machine (apt-get install chromium)", allow_module_level=True)


# --- a real server and a real browser ------------------------------------------------------------


class Server:
    """The application under uvicorn on a loopback port, in a thread of the test process."""

    def __init__(self, settings: Settings) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=self.port,
                                log_level="warning", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(engine: Engine) -> Iterator[Server]:
    with Server(Settings(engine=engine)) as s:
        yield s


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _open(browser: Any, base: str) -> tuple[Any, list[str], list[str]]:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    foreign: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: None if r.url.startswith((base, "data:", "blob:"))
            else foreign.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    # a 4xx the page asked for and shows (a bad fact) is no script error
    page.on("console", lambda m: errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    return page, foreign, errors


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    """A fresh page at / with the form ready; it must fetch nothing from elsewhere and raise no
    script error."""
    page, foreign, errors = _open(browser, server.base)
    page.goto(server.base + "/")
    page.wait_for_selector("body[data-ready]")
    yield page
    page.close()
    assert foreign == [], "the page fetched from another origin"
    assert errors == [], "the page logged errors"


# --- helpers that act as a person would ---------------------------------------------------------


def control(path: str) -> str:
    """The id of the form control for a fact path (as the page names it)."""
    return "f-facts-" + path.replace(".", "-")


def fill_case(page: Any, facts: dict[str, Any]) -> None:
    """Fill the form with flattened facts, clicking and typing as a person would."""
    for path, value in facts.items():
        kind = FACTS[path].kind
        if kind == "bool":
            page.check(f"#{control(path)}-{'true' if value else 'false'}")
        elif kind == "set":
            for role in value:
                page.check(f"#{control(path)}-{role}")
        elif kind == "choice":
            page.select_option(f"#{control(path)}", str(value))
        elif kind == "age" and isinstance(value, dict):  # a range: its bounds in their boxes
            for bound in ("min", "max"):
                if value.get(bound) is not None:
                    page.fill(f"#{control(path)}-{bound}", str(value[bound]))
        else:  # a number or a date, typed into its box
            page.fill(f"#{control(path)}", str(value))


def evaluate(page: Any, button: str = "#evaluate") -> None:
    page.click(button)
    page.wait_for_selector("#result-heading:focus")
    text = page.inner_text("#result")  # nothing left out is written as null or undefined
    assert not re.search(r"\b(null|undefined|NaN)\b|\[object ", text), text[:2000]


def shown_charges(page: Any, within: str = "#result") -> dict[str, dict[str, str]]:
    """The charges the page shows (in the result, or the part of it named): id -> title and
    penalty line."""
    out = {}
    for card in page.locator(f"{within} section[aria-labelledby=sec-charges] "
                             "article.conclusion").all():
        cid = card.get_attribute("data-id")
        penalty = card.locator(".penalty")
        out[cid] = {"title": card.locator(".card-title").inner_text(),
                    "penalty": penalty.inner_text() if penalty.count() else ""}
    return out


def library_charges(result: Any) -> dict[str, Any]:
    """The charges that apply (or may) in a library result, by id."""
    return {c.id: c for c in result.conclusions if c.kind.value == "charge"}


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.0/2.1 A and AA violations on the page as it is now."""
    script = resources.files("axe_playwright_python").joinpath("axe.min.js").read_text("utf-8")
    page.evaluate(script)
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        WCAG_AA)
    return [{"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"][:5]]}
            for v in result["violations"]]


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


# --- the form and the charges ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["trafficker-pimp-15", "buyer-of-17-year-old"])
def test_filling_the_form_shows_the_charges_of_the_example(page: Any, engine: Engine,
                                                          name: str) -> None:
    """Filled in by hand, each example shows exactly the charges the library finds for it, with
    the rulebook's titles and the penalties as the library states them."""
    case = load_case_file(EXAMPLES / f"{name}.yaml")
    fill_case(page, flatten(case.facts))
    evaluate(page)
    shown = shown_charges(page)
    expected = library_charges(engine.evaluate(case.facts))
    assert expected and set(shown) == set(expected)
    for cid, card in shown.items():
        assert card["title"].startswith(expected[cid].title)
        assert card["penalty"].lower() == format_penalty(expected[cid].penalty).lower()
    assert screenshot(page, f"web-{name}").stat().st_size > 10_000


def test_an_age_known_only_as_a_range(page: Any, engine: Engine) -> None:
    """An age given as a range (15 to 16) is sent as {min, max}: the page shows the library's
    charges and what it leaves open for that range, and the facts as the library writes them;
    typing an exact age then replaces the range."""
    case = load_case_file(EXAMPLES / "victim-age-known-roughly.yaml")
    facts = flatten(case.facts)
    assert isinstance(facts["victim.age"], dict)
    fill_case(page, facts)
    assert page.is_checked(f"#{control('victim.age')}-unknown") is False
    evaluate(page)
    result = engine.evaluate(case.facts)
    assert set(shown_charges(page)) == set(library_charges(result))
    shown_open = set(page.locator("#sec-undetermined ~ details article.undetermined"
                                  ).evaluate_all("els => els.map(e => e.dataset.id)"))
    assert shown_open == {u.id for u in result.undetermined}
    row = page.locator("section[aria-labelledby=sec-facts] tr", has_text="victim.age")
    assert format_value(result.facts["victim.age"]) in row.inner_text()  # "15–16"
    with page.expect_download() as download:
        page.click("#save-case")
    saved = json.loads(Path(download.value.path()).read_text("utf-8"))
    assert saved["facts"]["victim"]["age"] == {"min": 15, "max": 16}
    page.fill(f"#{control('victim.age')}", "13")
    assert page.input_value(f"#{control('victim.age')}-min") == ""
    assert page.input_value(f"#{control('victim.age')}-max") == ""
    assert axe_violations(page) == []
    screenshot(page, "web-age-range")


def test_opening_a_case_file_fills_the_form_and_evaluates(page: Any, engine: Engine) -> None:
    """A YAML example opened from disk fills the form and shows its charges."""
    path = EXAMPLES / "facilitator-motel-financial-benefit.yaml"
    case = load_case_file(path)
    page.set_input_files("#open-case", str(path))
    page.wait_for_selector("#sec-charges")
    assert page.input_value(f"#{control('victim.age')}") == str(case.facts.victim.age)
    assert page.is_checked(f"#{control('accused.roles')}-facilitator")
    assert page.is_checked(f"#{control('accused.enterprise')}-false")
    assert set(shown_charges(page)) == set(library_charges(engine.evaluate_file(case)))
    assert case.title and case.title in page.inner_text("#result")


def test_a_bad_fact_is_shown_beside_its_field(page: Any) -> None:
    """An impossible age gets the server's problem, linked to the field, marked invalid."""
    page.fill(f"#{control('victim.age')}", "150")
    page.click("#evaluate")
    page.wait_for_selector("#errors .error-box")
    assert "at most 120" in page.inner_text("#errors")
    assert page.get_attribute(f"#{control('victim.age')}", "aria-invalid") == "true"
    page.click("#errors li button")
    assert page.locator(f"#{control('victim.age')}").evaluate("el => el === document.activeElement")
    assert axe_violations(page) == []


def test_unknown_is_a_choice_and_unknown_facts_are_left_out(page: Any, server: Server) -> None:
    """Each true/false fact offers Unknown, checked at first; a fact set back to Unknown is not
    sent (the case saved as JSON has no such key)."""
    for path, spec in FACTS.items():
        if spec.kind == "bool":
            assert page.is_checked(f"#{control(path)}-unknown"), path
    page.check(f"#{control('investigation.decoy')}-true")
    page.check(f"#{control('investigation.decoy')}-unknown")
    page.check(f"#{control('victim.willing')}-false")
    with page.expect_download() as download:
        page.click("#save-case")
    saved = json.loads(Path(download.value.path()).read_text("utf-8"))
    assert saved == {"facts": {"victim": {"willing": False}}}


def test_strict_mode_presumes_nothing(page: Any, engine: Engine) -> None:
    """A case silent on the decoy: the page lists the library's presumption (its age, {max: 17},
    read into the range boxes); in strict mode it lists none and shows the library's strict
    statuses of the victim."""
    path = EXAMPLES / "presumption-real-child.yaml"
    case = load_case_file(path)
    page.set_input_files("#open-case", str(path))
    page.wait_for_selector("#sec-presumed")
    assert page.input_value(f"#{control('victim.age')}-max") == "17"
    assert page.input_value(f"#{control('victim.age')}") == ""
    shown = page.locator("ul.presumptions > li").evaluate_all("els => els.map(e => e.dataset.fact)")
    assert shown == [p.fact for p in engine.evaluate_file(case).presumptions] != []
    page.check("#strict")
    evaluate(page)
    strict = engine.evaluate_file(case, presume=False)
    assert strict.presumptions == [] and page.locator("#sec-presumed").count() == 0
    statuses = page.locator("ul.statuses > li").evaluate_all("els => els.map(e => e.dataset.id)")
    assert statuses == [s.id for s in strict.statuses]
    assert statuses != [s.id for s in engine.evaluate_file(case).statuses]  # strict tells


# --- a case of several people ----------------------------------------------------------------


def test_a_case_of_several_people_by_accused_by_victim_and_pair_by_pair(page: Any,
                                                                         engine: Engine) -> None:
    """A case file written in the case box: the page shows the library's CaseResult, each
    accused's charges with their status for each victim, each victim's statuses and what she is
    owed, and each pair in full; explain and why-not answer for the pair shown."""
    from dmst.engine.result import Status

    path = EXAMPLES / "case-trafficker-two-victims.yaml"
    result = engine.evaluate_file(load_case_file(path))
    page.check("#mode-case")
    assert page.is_visible("#case-text") and not page.is_visible("#case-form")
    page.fill("#case-text", path.read_text("utf-8"))
    evaluate(page, "#evaluate-case")
    for a in result.accused:
        box = page.locator(f'section.accused[data-accused="{a.id}"]')
        shown = box.locator("ul.case-charges > li").evaluate_all("els => els.map(e => e.dataset.id)")
        assert sorted(shown) == sorted(c.id for c in a.charges)
        applying = box.locator("ul.case-charges:not(.open) > li").evaluate_all(
            "els => els.map(e => e.dataset.id)")
        assert applying == [c.id for c in a.charges
                            if any(Status(st).holds for st in c.victims.values())]
        for c in a.charges:
            for vid, status in c.victims.items():
                item = box.locator(f'li[data-id="{c.id}"] li[data-victim="{vid}"]')
                assert item.text_content() == f"Victim {vid}: {Status(status).label}"
    for v in result.victims:
        box = page.locator(f'section.victim[data-victim="{v.id}"]')
        assert box.locator("ul.statuses > li").evaluate_all(
            "els => els.map(e => e.dataset.id)") == v.statuses
        assert box.locator("ul.owed > li").evaluate_all(
            "els => els.map(e => e.dataset.id)") == [c.id for c in v.conclusions]
    options = page.locator("#pair-select option").all_inner_texts()
    assert options == [f"Accused {p.accused} and victim {p.victim}" for p in result.pairs]
    for k, pair in enumerate(result.pairs):
        page.select_option("#pair-select", str(k))
        assert set(shown_charges(page, "#pair-result")) == set(library_charges(pair.result))
    # the 12-year-old (V2): enticing applies, and how it was reached is the pair's
    page.select_option("#pair-select", "1")
    card = page.locator('#pair-result article[data-id="charge.enticing_child"]')
    card.locator("details.explain > summary").click()
    card.locator(".tree").wait_for()
    assert "victim.age < 14" in card.locator(".tree").inner_text()
    assert axe_violations(page) == []
    screenshot(page, "web-case-of-several")
    # the 15-year-old (V1): it does not apply, and why not is the pair's
    page.select_option("#pair-select", "0")
    page.click("#pair-result #sec-not ~ details > summary")
    item = page.locator('#pair-result details.why-not[data-id="charge.enticing_child"]')
    item.locator("summary").click()
    item.locator(".rule-check").first.wait_for()
    failing = item.locator("li.check.fails").all_inner_texts()
    assert any("victim.age < 14" in t and "15" in t for t in failing)
    page.set_viewport_size({"width": 320, "height": 800})
    wider = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert page.evaluate(wider) <= 0


def test_opening_a_case_file_of_several_people(page: Any, engine: Engine) -> None:
    """A case file of several people opened from disk goes into the case box as it is, and its
    accused and victims are shown as the library finds them."""
    path = EXAMPLES / "case-mother-and-buyer.yaml"
    result = engine.evaluate_file(load_case_file(path))
    page.set_input_files("#open-case", str(path))
    page.wait_for_selector("#sec-accused")
    assert page.is_checked("#mode-case")
    assert page.input_value("#case-text") == path.read_text("utf-8")
    shown = page.locator("section.accused").evaluate_all("els => els.map(e => e.dataset.accused)")
    assert shown == [a.id for a in result.accused]
    assert result.title and result.title in page.inner_text("#result")


def test_the_case_box_starts_from_the_form_and_reports_its_errors(page: Any,
                                                                   engine: Engine) -> None:
    """Turning to a case of several people writes the form's case as its first victim and
    accused, which evaluates as the library evaluates that case file; a misspelt fact in the box
    is reported with its line, the box marked invalid."""
    fill_case(page, {"victim.age": 15, "accused.roles": ["trafficker"],
                     "accused.conduct.trafficked_for_sex": True, "investigation.decoy": False})
    page.check("#mode-case")
    written = json.loads(page.input_value("#case-text"))
    assert written["facts"]["victims"] == [{"id": "V1", "age": 15}]
    assert written["facts"]["accused"][0]["id"] == "A1"
    evaluate(page, "#evaluate-case")
    expected = engine.evaluate_file(CaseFile.model_validate(written))
    assert isinstance(expected, CaseResult)
    shown = page.locator("section.accused ul.case-charges > li").evaluate_all(
        "els => els.map(e => e.dataset.id)")
    assert sorted(shown) == sorted(c.id for c in expected.accused[0].charges)
    page.fill("#case-text", "facts:\n  victims:\n    - id: V1\n      agee: 15\n")
    page.click("#evaluate-case")
    page.wait_for_selector("#errors .error-box")
    assert "line 4" in page.inner_text("#errors") and "victims.0.agee" in page.inner_text("#errors")
    assert page.get_attribute("#case-text", "aria-invalid") == "true"
    assert axe_violations(page) == []


# --- questions about the result ----------------------------------------------------------------


def test_why_not_and_how_open_from_the_result(page: Any) -> None:
    """"Does not apply" lists enticing for a 15-year-old with its failing age test; "How was
    this reached?" shows the rule's facts down to the victim's age."""
    case = load_case_file(EXAMPLES / "trafficker-pimp-15.yaml")
    fill_case(page, flatten(case.facts))
    evaluate(page)
    page.click("#sec-not ~ details > summary")
    item = page.locator('details.why-not[data-id="charge.enticing_child"]')
    item.locator("summary").click()
    item.locator(".rule-check").first.wait_for()
    text = item.inner_text()
    assert "does not apply" in text
    failing = item.locator("li.check.fails").all_inner_texts()
    assert any("victim.age < 14" in t and "15" in t for t in failing)
    card = page.locator('article[data-id="charge.human_trafficking"]')
    card.locator("details.explain > summary").click()
    card.locator(".tree").wait_for()
    assert "victim.age < 18" in card.locator(".tree").inner_text()
    assert axe_violations(page) == []


def test_a_what_if_changes_one_fact_and_can_be_undone(page: Any, engine: Engine) -> None:
    """Trying the first single change the library finds for the case sets that fact in the
    form, says what changed, and Undo puts the case back."""
    from dmst import flips

    case = load_case_file(EXAMPLES / "trafficker-pimp-15.yaml")
    facts = flatten(case.facts)
    fill_case(page, facts)
    evaluate(page)
    first = next(f for f in flips(engine, case.facts).flips if f.changes and not f.skipped)
    page.click("#sec-whatif ~ details > summary")
    page.locator(".flips button").first.click()
    page.wait_for_selector("#sec-changes")
    changed = page.inner_text("section[aria-labelledby=sec-changes]").lower()
    assert "undo" in changed
    assert str(first.after).lower() in changed or ("yes" if first.after else "no") in changed
    assert page.locator(".flips").count() == 0  # the result was drawn anew
    page.click("#sec-changes ~ button, #result button:has-text('Undo this change')")
    page.wait_for_selector("#sec-changes", state="detached")
    assert shown_charges(page).keys() == {c.id for c in engine.evaluate(case.facts).conclusions
                                          if c.kind.value == "charge"}


def test_guided_mode_asks_the_question_that_settles_the_most(page: Any, engine: Engine) -> None:
    """Guided mode asks the library's first ask-next fact; answering sets it in the form and the
    next question is the library's next one for the facts given so far."""
    page.click("#guide-toggle")
    page.wait_for_selector("#guide .question")
    first = engine.evaluate({}).ask_next[0].fact
    assert first in page.inner_text("#guide .question")
    assert FACTS[first].kind == "age"  # the victim's age: typed in
    page.fill("#guide-input", "15")
    page.click("#guide button[type=submit]")
    playwright_api.expect(page.locator("#guide .question")).not_to_contain_text(first)
    assert page.input_value(f"#{control(first)}") == "15"
    second = engine.evaluate({"victim": {"age": 15}}).ask_next[0].fact
    assert second in page.inner_text("#guide .question")
    assert axe_violations(page) == []
    screenshot(page, "web-guided-mode")


# --- the rulebook beside the source ------------------------------------------------------------


def test_the_rulebook_beside_the_source(page: Any, engine: Engine) -> None:
    """The Rulebook tab lists every rule; choosing one shows its quotes and marks the sentences
    of the source that it cites."""
    page.click("#tab-rules")
    page.wait_for_selector(".rule-button")
    assert page.locator(".rule-button").count() == len(engine.rulebook.rules)
    page.fill("#rule-filter", "enticing")
    assert 0 < page.locator(".rule-button").count() < len(engine.rulebook.rules)
    rule_id = "charge.enticing_child"
    page.click(f'.rule-button[data-rule="{rule_id}"]')
    page.wait_for_selector("#rule-detail-heading")
    detail = page.text_content("#rule-detail") or ""  # the quotes after the first are folded
    for cite in engine.rulebook.by_id[rule_id].rule.cites:
        assert cite.quote[:40] in " ".join(detail.split())
    marked = page.locator(".sentence.selected")
    assert marked.count() >= 1
    for rules in marked.evaluate_all("els => els.map(e => e.dataset.rules)"):
        assert rule_id in rules.split()
    assert axe_violations(page) == []
    screenshot(page, "web-rulebook")


def test_tabs_work_from_the_keyboard(page: Any) -> None:
    """The view tabs follow the tabs pattern: arrow keys move between them."""
    page.focus("#tab-case")
    page.keyboard.press("ArrowRight")
    assert page.get_attribute("#tab-rules", "aria-selected") == "true"
    assert page.is_visible("#view-rules") and not page.is_visible("#view-case")
    page.keyboard.press("ArrowLeft")
    assert page.get_attribute("#tab-case", "aria-selected") == "true"


def test_the_start_page_meets_wcag_aa(page: Any) -> None:
    """The empty form, as a first-time user sees it, has no WCAG 2.1 A/AA violation."""
    assert axe_violations(page) == []


def test_the_page_reflows_at_320_pixels(page: Any) -> None:
    """WCAG 1.4.10: at 320 CSS pixels wide, the form, the result and the rulebook need no
    sideways scrolling."""
    fill_case(page, flatten(load_case_file(EXAMPLES / "trafficker-pimp-15.yaml").facts))
    evaluate(page)
    page.set_viewport_size({"width": 320, "height": 800})
    wider = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert page.evaluate(wider) <= 0
    page.click("#tab-rules")
    page.wait_for_selector(".sentence")
    assert page.evaluate(wider) <= 0


def test_the_printed_brief_is_the_result_alone(page: Any) -> None:
    """In print, the form, tabs and buttons are hidden and the charges remain."""
    fill_case(page, flatten(load_case_file(EXAMPLES / "buyer-of-17-year-old.yaml").facts))
    evaluate(page)
    page.emulate_media(media="print")
    assert not page.is_visible("#case-form")
    assert not page.is_visible("#tab-rules")
    assert not page.is_visible("#print-brief")
    assert page.is_visible("#sec-charges")
    assert page.is_visible("#sec-facts")


def test_fields_the_page_does_not_know_are_shown_not_dropped(page: Any) -> None:
    """A result with fields the page was not written for (a newer library) still renders, and
    the new fields are shown."""
    def add_fields(route: Any) -> None:
        response = route.fetch()
        data = response.json()
        data["reviews"] = [{"id": "r.1", "title": "A later top-level field"}]
        for c in data["conclusions"]:
            c["reviewed_by"] = "a later model field"
        route.fulfill(response=response, body=json.dumps(data))

    page.route("**/v1/evaluate", add_fields)
    fill_case(page, flatten(load_case_file(EXAMPLES / "trafficker-pimp-15.yaml").facts))
    evaluate(page)
    text = page.inner_text("#result")
    assert "A later top-level field" in text
    assert "a later model field" in text
    assert shown_charges(page)


# --- /docs, and a server with a token ------------------------------------------------------------


def test_the_api_docs_render_from_this_server_alone(browser: Any, server: Server) -> None:
    """/docs draws Swagger UI over the OpenAPI 3.0 document with nothing fetched elsewhere."""
    page, foreign, errors = _open(browser, server.base)
    page.goto(server.base + "/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "dmst" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector(".opblock-summary-path")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/v1/evaluate" in p for p in paths)
    page.close()
    assert foreign == []
    assert errors == []  # the page's security policy let it run as it is


def test_the_page_asks_for_the_token_when_the_server_needs_one(browser: Any,
                                                                engine: Engine) -> None:
    """Behind a token, the page asks for it once and then works."""
    with Server(Settings(engine=engine, token=TOKEN)) as guarded:
        page, foreign, _ = _open(browser, guarded.base)
        page.goto(guarded.base + "/")
        page.wait_for_selector("#token-box:not([hidden])")
        assert axe_violations(page) == []
        page.fill("#token-input", TOKEN)
        page.click("#token-form button[type=submit]")
        page.wait_for_selector("body[data-ready]")
        fill_case(page, {"victim.age": 15, "accused.roles": ["trafficker"],
                         "accused.conduct.trafficked_for_sex": True,
                         "investigation.decoy": False})
        evaluate(page)
        assert "charge.human_trafficking" in shown_charges(page)
        page.close()
        assert foreign == []


def test_the_screenshot_for_the_readme(page: Any) -> Callable[[], None] | None:
    """The README's picture of the page: the pimp example evaluated (kept as an artifact)."""
    fill_case(page, flatten(load_case_file(EXAMPLES / "trafficker-pimp-15.yaml").facts))
    evaluate(page)
    page.evaluate("window.scrollTo(0, 0)")
    assert screenshot(page, "web-page").exists()
    return None
