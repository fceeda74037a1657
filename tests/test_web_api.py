"""The HTTP API through FastAPI's test client: each route serves the library's own answer for the
case it is sent, errors come back as dmst's problems, and every response says which rulebook
produced it."""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():  # newer Starlette prefers httpx2 for its test client
    warnings.filterwarnings("ignore", message=".*httpx2")
    from fastapi.testclient import TestClient

from dmst import CaseResult, Engine, FactError, InputError, diff, explain, flips, why_not
from dmst.batch import MAX_LINE_BYTES, evaluate_lines
from dmst.facts.load import CaseFile, case_from_data, load_case_file
from dmst.report import render
from dmst.web import Settings, create_app
from dmst.web.models import ValidCase

from .conftest import EXAMPLES, PIMP, TWO_VICTIMS

TOKEN = "s3cret-token-for-the-tests-only"


@pytest.fixture(scope="module")
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(engine=engine))) as c:
        yield c


def post(client: TestClient, path: str, data: Any) -> Any:
    return client.post(path, json=data)


def stamp_headers(engine: Engine) -> dict[str, str]:
    rb = engine.stamp.rulebook
    return {"dmst-version": engine.stamp.engine["dmst"],
            "dmst-rulebook": f"{rb['id']} {rb['version']}",
            "dmst-rulebook-fingerprint": rb["fingerprint"]}


# --- evaluate --------------------------------------------------------------------------------


def test_evaluate_serves_the_library_result(client: TestClient, engine: Engine) -> None:
    """POST /v1/evaluate with the facts gives exactly the library's result as JSON."""
    r = post(client, "/v1/evaluate", PIMP)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == engine.evaluate(PIMP).model_dump(mode="json")


def test_a_case_file_and_bare_facts_give_the_same_result(client: TestClient) -> None:
    """A case file (facts with a title and narrative) and its facts alone are the same case."""
    whole = post(client, "/v1/evaluate", {"title": "t", "narrative": "n", "facts": PIMP})
    assert whole.status_code == 200
    assert whole.content == post(client, "/v1/evaluate", PIMP).content


@pytest.mark.parametrize("name", ["trafficker-pimp-15", "buyer-of-17-year-old",
                                  "compensation-claim-after-4-years", "victim-age-known-roughly",
                                  "case-trafficker-two-victims", "case-mother-and-buyer"])
def test_a_yaml_case_file_is_read_as_the_command_line_reads_it(
        client: TestClient, engine: Engine, name: str) -> None:
    """An example file sent as application/yaml evaluates as `dmst evaluate FILE` does: a Result
    for one victim and one accused, a CaseResult (with the file's id and title) for several."""
    path = EXAMPLES / f"{name}.yaml"
    r = client.post("/v1/evaluate", content=path.read_bytes(),
                    headers={"Content-Type": "application/yaml"})
    assert r.status_code == 200
    assert r.json() == engine.evaluate_file(load_case_file(path)).model_dump(mode="json")


# --- a case of several people ------------------------------------------------------------------


def _case_body(path: Path) -> dict[str, Any]:
    """A case file as the JSON a client would send (its expectations left out)."""
    body = load_case_file(path).model_dump(mode="json", exclude_none=True)
    body.pop("expected", None)
    return body


def test_a_case_of_several_people_gives_the_library_case_result(client: TestClient,
                                                                engine: Engine) -> None:
    """Bare facts with a list of victims and of accused give the library's CaseResult: each
    pair, and the summaries by accused and by victim; as a case file, its id and title too."""
    body = _case_body(TWO_VICTIMS)
    facts = body["facts"]
    assert isinstance(facts["victims"], list) and isinstance(facts["accused"], list)
    r = post(client, "/v1/evaluate", facts)
    assert r.status_code == 200
    expected = engine.evaluate(facts)
    assert isinstance(expected, CaseResult)
    assert r.json() == expected.model_dump(mode="json")
    data = r.json()
    assert [(p["accused"], p["victim"]) for p in data["pairs"]] == [
        (p.accused, p.victim) for p in expected.pairs]
    assert [a["id"] for a in data["accused"]] == ["A1"]
    assert [v["id"] for v in data["victims"]] == ["V1", "V2"]
    whole = post(client, "/v1/evaluate", body)
    assert whole.json() == engine.evaluate_file(CaseFile.model_validate(body)).model_dump(
        mode="json")
    assert (whole.json()["case_id"], whole.json()["title"]) == (body["case_id"], body["title"])


def test_a_case_error_names_the_person_in_the_list(client: TestClient) -> None:
    """A problem in one person of a case is reported at that person's place in the list, as the
    library's reader of decoded case data reports it (with its suggestion)."""
    facts = _case_body(TWO_VICTIMS)["facts"]
    facts["victims"][1]["agee"] = 12
    with pytest.raises(FactError) as raised:
        case_from_data(facts, name="request body")
    r = post(client, "/v1/evaluate", facts)
    assert r.status_code == 422
    assert r.json()["error"] == raised.value.to_dict()
    [problem] = r.json()["error"]["problems"]
    assert (problem["field"], problem["suggestion"]) == ("facts.victims.1.agee",
                                                         "facts.victims.1.age")


def test_explain_and_why_not_answer_for_the_pair_named(client: TestClient,
                                                       engine: Engine) -> None:
    """In a case, ?accused= and ?victim= pick the pair: enticing applies to the 12-year-old and
    not to the 15-year-old, as explain() and why_not() say for those pairs."""
    facts = _case_body(TWO_VICTIMS)["facts"]
    result = engine.evaluate(facts)
    cid = "charge.enticing_child"
    r = post(client, f"/v1/explain?conclusion={cid}&accused=A1&victim=V2", facts)
    assert r.status_code == 200
    assert r.json() == [n.model_dump(mode="json") for n in
                        explain(result.pair("A1", "V2"), cid, rulebook=engine.rulebook)]
    r = post(client, f"/v1/why-not?conclusion={cid}&accused=A1&victim=V1", facts)
    assert r.status_code == 200
    answer = why_not(engine, facts, cid, accused="A1", victim="V1")
    assert r.json() == answer.model_dump(mode="json")
    assert (r.json()["accused"], r.json()["victim"], r.json()["status"]) == (
        "A1", "V1", "does_not_apply")
    # the pair of the 12-year-old: it applies there, and explaining it there works
    assert post(client, f"/v1/explain?conclusion={cid}&victim=V1", facts).status_code == 422
    flipped = post(client, "/v1/flips?fact=victim.age&victim=V1", facts)
    assert flipped.json() == flips(engine, facts, ("victim.age",), victim="V1"
                                   ).model_dump(mode="json")


def test_a_pair_left_open_in_a_case_is_a_422_listing_the_pairs(client: TestClient) -> None:
    """Explaining a case of two pairs without naming one: 422 listing the pairs to choose from."""
    facts = _case_body(TWO_VICTIMS)["facts"]
    r = post(client, "/v1/explain", facts)
    assert r.status_code == 422
    assert "A1/V1" in r.json()["error"]["message"] and "A1/V2" in r.json()["error"]["message"]


@pytest.mark.parametrize("route", ["/v1/explain?", "/v1/why-not?conclusion=charge.enticing_child&",
                                   "/v1/flips?"])
@pytest.mark.parametrize(("param", "given", "known"), [("accused", "A9", "A1"),
                                                        ("victim", "V3", "V1")])
def test_an_unknown_person_is_a_422_naming_them(client: TestClient, route: str, param: str,
                                                given: str, known: str) -> None:
    """An accused or victim id not in the case: 422 naming the id, its parameter, and the ids
    the case has."""
    facts = _case_body(TWO_VICTIMS)["facts"]
    r = post(client, f"{route}{param}={given}", facts)
    assert r.status_code == 422
    error = r.json()["error"]
    assert given in error["message"] and known in error["message"]
    assert error["field"] == f"query.{param}"


# --- reports ---------------------------------------------------------------------------------


def _report_kwargs(case: CaseFile) -> dict[str, Any]:
    """What `dmst evaluate` hands the report of a case file."""
    return {"title": case.title, "narrative": case.narrative, "case_id": case.case_id}


@pytest.mark.parametrize("name", ["trafficker-pimp-15", "case-trafficker-two-victims"])
@pytest.mark.parametrize(("fmt", "media"), [("markdown", "text/markdown"), ("text", "text/plain"),
                                            ("html", "text/html")])
def test_reports_are_the_library_renderings(client: TestClient, engine: Engine, name: str,
                                            fmt: str, media: str) -> None:
    """?format=markdown is the printable brief, text the command line's report and html a page,
    each exactly as the library renders the case file's result."""
    case = load_case_file(EXAMPLES / f"{name}.yaml")
    result = engine.evaluate_file(case)
    body = case.model_dump(mode="json", exclude_none=True)
    r = client.post(f"/v1/evaluate?format={fmt}", json=body)
    assert r.status_code == 200
    assert r.headers["content-type"] == f"{media}; charset=utf-8"
    assert r.text == render(result, format=fmt, **_report_kwargs(case))


def test_a_report_names_the_case_id_as_the_command_line_does(client: TestClient,
                                                             tmp_path: Path) -> None:
    """A scenario file with a case id: the report the service gives is the one `dmst evaluate
    FILE --format markdown` prints, case id included."""
    from typer.testing import CliRunner

    from dmst.cli import app

    body = _case_body(EXAMPLES / "trafficker-pimp-15.yaml")
    body["case_id"] = "2018-CR-7777"
    path = tmp_path / "with-id.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    for fmt in ("markdown", "text", "html"):
        printed = CliRunner().invoke(app, ["evaluate", str(path), "--format", fmt])
        assert printed.exit_code == 0, printed.output
        served = client.post(f"/v1/evaluate?format={fmt}", json=body)
        assert served.text == printed.output
        assert "2018-CR-7777" in served.text


@pytest.mark.parametrize("name", ["trafficker-pimp-15", "case-trafficker-two-victims"])
def test_a_view_gives_the_report_for_that_reader(client: TestClient, engine: Engine,
                                                 name: str) -> None:
    """?view=advocate is the library's advocate report, which is not the report for all; the
    JSON does not change with the view."""
    case = load_case_file(EXAMPLES / f"{name}.yaml")
    result = engine.evaluate_file(case)
    body = case.model_dump(mode="json", exclude_none=True)
    advocate = client.post("/v1/evaluate?format=markdown&view=advocate", json=body).text
    every = client.post("/v1/evaluate?format=markdown&view=all", json=body).text
    assert advocate == render(result, format="markdown", view="advocate", **_report_kwargs(case))
    assert every == render(result, format="markdown", view="all", **_report_kwargs(case))
    assert advocate != every
    assert client.post("/v1/evaluate?view=advocate", json=body).content == \
        client.post("/v1/evaluate", json=body).content
    assert client.post("/v1/evaluate?view=judge", json=body).status_code == 422


def test_strict_makes_no_presumption(client: TestClient, engine: Engine) -> None:
    """A case silent on the decoy: the result lists the presumption of a real child; with
    ?strict=true it lists none and is the library's strict result."""
    case = load_case_file(EXAMPLES / "presumption-real-child.yaml")
    body = case.model_dump(mode="json", exclude_none=True)
    presumed = client.post("/v1/evaluate", json=body).json()
    assert presumed == engine.evaluate_file(case).model_dump(mode="json")
    assert [p["fact"] for p in presumed["presumptions"]] == ["investigation.decoy"]
    strict = client.post("/v1/evaluate?strict=true", json=body).json()
    assert strict == engine.evaluate_file(case, presume=False).model_dump(mode="json")
    assert strict["presumptions"] == []
    assert strict != presumed
    # why-not takes strict too: the child's status waits on the decoy question
    cid = "status.minor_victim"
    answer = client.post(f"/v1/why-not?conclusion={cid}&strict=true", json=body).json()
    assert answer == why_not(engine, case.facts, cid, presume=False).model_dump(mode="json")
    assert answer["status"] != client.post(f"/v1/why-not?conclusion={cid}", json=body
                                           ).json()["status"]


def test_an_unknown_format_is_a_422(client: TestClient) -> None:
    """?format=pdf names the parameter in its problem."""
    r = client.post("/v1/evaluate?format=pdf", json=PIMP)
    assert r.status_code == 422
    assert r.json()["error"]["problems"][0]["field"] == "query.format"


def _validated(client: TestClient, path: Path) -> dict[str, Any]:
    """The answer of /v1/validate to a YAML case file, which must be 200."""
    r = client.post("/v1/validate", content=path.read_bytes(),
                    headers={"Content-Type": "application/yaml"})
    assert r.status_code == 200
    return r.json()  # type: ignore[no-any-return]


def test_validate_returns_the_case_as_dmst_reads_it(client: TestClient) -> None:
    """/v1/validate turns a YAML case file into JSON with unknown facts left out."""
    path = EXAMPLES / "buyer-of-17-year-old.yaml"
    data = _validated(client, path)
    assert data["facts"]["victim"]["age"] == 17
    assert data["facts"]["dates"]["offense"] == "2018-09-21"
    assert "age_at_testimony" not in data["facts"]["victim"]  # unknown: left out, not null
    assert CaseFile.model_validate(data) == load_case_file(path)


def test_validate_keeps_a_case_id_and_a_case_of_several(client: TestClient) -> None:
    """A case file's id and its list of people come back as read, in the documented shape."""
    path = EXAMPLES / "case-trafficker-two-victims.yaml"
    data = _validated(client, path)
    assert data["case_id"] == load_case_file(path).case_id
    assert [v["id"] for v in data["facts"]["victims"]] == ["V1", "V2"]
    assert CaseFile.model_validate(data) == load_case_file(path)
    ValidCase.model_validate(data)  # what /openapi.json says the answer is


# --- errors as data ----------------------------------------------------------------------------


def test_a_misspelt_fact_gets_the_library_problems(client: TestClient, engine: Engine) -> None:
    """422 with the same problems the library raises, each with its field and suggestion."""
    facts = {"victim": {"agee": 15, "age": "15"}}
    with pytest.raises(FactError) as raised:
        engine.evaluate(facts)
    r = post(client, "/v1/evaluate", facts)
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["type"] == "FactError"
    assert error["problems"] == raised.value.to_dict()["problems"]
    fields = {p["field"]: p for p in error["problems"]}
    assert fields["facts.victim.agee"]["suggestion"] == "facts.victim.age"
    assert "whole number" in fields["facts.victim.age"]["message"]


def test_a_case_file_error_names_the_field_under_facts(client: TestClient) -> None:
    """In a case file the field path starts at the file's top level, as for `dmst evaluate`."""
    r = post(client, "/v1/evaluate", {"facts": {"victim": {"age": 15}, "acused": {}}})
    assert r.status_code == 422
    [problem] = r.json()["error"]["problems"]
    assert problem["field"] == "facts.acused"
    assert problem["suggestion"] == "facts.accused"


@pytest.mark.parametrize(("body", "phrase", "line"), [
    (b'{\n  "victim": {"age": 15,}\n}', "not valid JSON", 2),
    (b'{"victim": {"age": 15}, "victim": {}}', "duplicate key 'victim'", 1),
    (b'[{"victim": {}}]', "the body is a list", None),
    (b'"facts"', "the body is a string", None),
])
def test_bad_json_is_a_422_saying_what_and_where(client: TestClient, body: bytes, phrase: str,
                                                 line: int | None) -> None:
    """Malformed JSON, a key given twice or a body that is not an object: 422, never a 500."""
    r = client.post("/v1/evaluate", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    error = r.json()["error"]
    assert phrase in error["message"]
    assert error["file"] == "request body"
    assert error["line"] == line


def test_a_contradiction_between_facts_is_a_422(client: TestClient) -> None:
    """Facts that cannot all be true (testifying before the offense) are refused."""
    r = post(client, "/v1/evaluate", {"victim": {"age": 15, "age_at_testimony": 14}})
    assert r.status_code == 422
    assert "cannot testify before the offense" in r.text


def test_a_body_over_the_limit_is_a_413(engine: Engine) -> None:
    """Over max_body_bytes: 413, whether the size is declared or the body is streamed."""
    with TestClient(create_app(Settings(engine=engine, max_body_bytes=200))) as small:
        big = json.dumps({"title": "x" * 300, "facts": {}})
        r = small.post("/v1/evaluate", content=big, headers={"Content-Type": "application/json"})
        assert r.status_code == 413
        assert r.json()["error"]["type"] == "BodyTooLarge"

        def chunks() -> Iterator[bytes]:
            yield big[:150].encode()
            yield big[150:].encode()

        streamed = small.post("/v1/evaluate", content=chunks(),
                              headers={"Content-Type": "application/json"})
        assert streamed.status_code == 413
        assert small.post("/v1/evaluate", json={"victim": {"age": 15}}).status_code == 200


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_body_that_is_not_json_or_yaml_is_a_415(client: TestClient,
                                                  content_type: str | None) -> None:
    """Only JSON and YAML are read, so that a page on another site cannot post a case without
    the browser asking first (CORS preflight)."""
    headers = {"Content-Type": content_type} if content_type else {}
    r = client.post("/v1/evaluate", content=json.dumps(PIMP), headers=headers)
    assert r.status_code == 415
    assert "application/json" in r.json()["error"]["message"]


class _BrokenEngine(Engine):
    def evaluate(self, case: Any, **kw: Any) -> Any:
        raise RuntimeError(f"cannot evaluate {case!r}")  # a message that quotes the case

    def evaluate_file(self, case: Any, **kw: Any) -> Any:
        raise RuntimeError(f"cannot evaluate {case!r}")


def test_an_internal_error_is_a_500_without_traceback_or_facts(
        caplog: pytest.LogCaptureFixture) -> None:
    """A bug gives 500 with a reference; neither the response nor the log shows the exception's
    message (it may quote the case), and the response has no traceback."""
    with TestClient(create_app(Settings(engine=_BrokenEngine())),
                    raise_server_exceptions=False) as broken:
        with caplog.at_level(logging.DEBUG):
            r = broken.post("/v1/evaluate", json=PIMP)
    assert r.status_code == 500
    error = r.json()["error"]
    assert error["type"] == "InternalError"
    assert "Traceback" not in r.text and "Victim(" not in r.text and ".py" not in r.text
    reference = error["message"].split("reference ")[1].split(")")[0]
    logged = "\n".join(rec.getMessage() for rec in caplog.records)
    assert reference in logged and "RuntimeError" in logged
    assert "Victim(" not in logged
    assert r.headers["dmst-rulebook-fingerprint"]


def test_unknown_routes_and_methods_answer_in_the_error_shape(client: TestClient) -> None:
    """404 and 405 have the same error body as every other error."""
    r = client.get("/v1/nothing-here")
    assert r.status_code == 404 and r.json()["error"]["type"] == "NotFound"
    r = client.get("/v1/evaluate")
    assert r.status_code == 405 and r.json()["error"]["type"] == "MethodNotAllowed"


def test_every_response_carries_the_rulebook_version(client: TestClient, engine: Engine) -> None:
    """Success, client errors, the page, the docs and static files: all carry the headers."""
    responses = [
        post(client, "/v1/evaluate", PIMP),
        post(client, "/v1/evaluate", {"victim": {"age": -1}}),
        client.get("/v1/nothing"),
        client.get("/"),
        client.get("/docs"),
        client.get("/openapi.json"),
        client.get("/static/app.js"),
        client.get("/v1/health"),
    ]
    expected = stamp_headers(engine)
    for r in responses:
        assert {k: r.headers.get(k) for k in expected} == expected, r.url


def test_api_responses_are_not_cached_and_the_page_allows_nothing_foreign(
        client: TestClient) -> None:
    """Case facts are never cached; the page's policy loads nothing from another origin."""
    r = post(client, "/v1/evaluate", PIMP)
    assert r.headers["cache-control"] == "no-store"
    policy = client.get("/").headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "http" not in policy and "*" not in policy


def test_nothing_of_the_request_is_logged(client: TestClient,
                                          caplog: pytest.LogCaptureFixture) -> None:
    """No log record, at any level, holds a word of the case sent."""
    with caplog.at_level(logging.DEBUG):
        post(client, "/v1/evaluate", {"title": "ZEBRA-CASE-4417", "facts": PIMP})
        post(client, "/v1/evaluate", {"title": "ZEBRA-CASE-4417", "facts": {"victm": {}}})
    assert not any("ZEBRA" in rec.getMessage() for rec in caplog.records)


def test_results_do_not_depend_on_earlier_requests(client: TestClient) -> None:
    """Stateless: a case gives the same bytes before and after other cases."""
    first = post(client, "/v1/evaluate", PIMP).content
    post(client, "/v1/evaluate", {"victim": {"age": 12}, "accused": {"roles": ["buyer"]}})
    post(client, "/v1/evaluate", {"victim": {"agee": 12}})
    assert post(client, "/v1/evaluate", PIMP).content == first


# --- questions about a result ----------------------------------------------------------------


def test_explain_serves_the_library_explanation(client: TestClient, engine: Engine) -> None:
    """/v1/explain gives the derivation trees explain() gives, for all or for one conclusion."""
    result = engine.evaluate(PIMP)
    every = post(client, "/v1/explain", PIMP)
    assert every.json() == [n.model_dump(mode="json") for n in
                            explain(result, rulebook=engine.rulebook)]
    cid = "charge.promoting_prostitution"
    one = post(client, f"/v1/explain?conclusion={cid}", PIMP)
    assert [n["id"] for n in one.json()] == [cid]


def test_explaining_what_does_not_apply_points_to_why_not(client: TestClient) -> None:
    """A conclusion that does not apply cannot be explained: 422 that says to ask why not."""
    r = post(client, "/v1/explain?conclusion=charge.enticing_child", PIMP)
    assert r.status_code == 422
    assert "why" in r.json()["error"]["message"]


def test_why_not_serves_the_library_answer(client: TestClient, engine: Engine) -> None:
    """/v1/why-not is why_not() for the case and id, with the depth asked for."""
    cid = "charge.enticing_child"
    r = post(client, f"/v1/why-not?conclusion={cid}&depth=2", PIMP)
    assert r.status_code == 200
    assert r.json() == why_not(engine, PIMP, cid, depth=2).model_dump(mode="json")
    assert r.json()["status"] == "does_not_apply"


def test_why_not_with_an_unknown_id_suggests_the_closest(client: TestClient) -> None:
    """A misspelt conclusion id is a 422 with the closest id as the suggestion."""
    r = post(client, "/v1/why-not?conclusion=charge.enticing_chil", PIMP)
    assert r.status_code == 422
    assert r.json()["error"]["problems"][0]["suggestion"] == "charge.enticing_child"


def test_diff_serves_the_library_diff(client: TestClient, engine: Engine) -> None:
    """/v1/diff compares a and b as diff() does; the text form names the cases by title."""
    older = {**PIMP, "victim": {**PIMP["victim"], "age": 18}}
    r = post(client, "/v1/diff", {"a": PIMP, "b": {"title": "At 18", "facts": older}})
    assert r.json() == diff(engine, PIMP, older).model_dump(mode="json")
    assert "charge.human_trafficking" in [
        c["id"] for c in r.json()["changes"] if c["change"] == "disappears"]
    text = client.post("/v1/diff?format=text", json={"a": PIMP, "b": {"title": "At 18",
                                                                       "facts": older}})
    assert "At 18" in text.text


def test_diff_errors_name_the_side(client: TestClient) -> None:
    """A problem in case b is reported under b; a missing side is named."""
    r = post(client, "/v1/diff", {"a": PIMP, "b": {"victim": {"age": "x"}}})
    assert r.status_code == 422
    assert r.json()["error"]["problems"][0]["field"] == "b.facts.victim.age"
    r = post(client, "/v1/diff", {"a": PIMP})
    assert r.status_code == 422
    assert r.json()["error"]["problems"] == [{"message": "is required", "field": "b"}]


def test_flips_serves_the_library_what_ifs(client: TestClient, engine: Engine) -> None:
    """/v1/flips tries the facts asked for, as flips() does; a bad fact path is a 422."""
    r = client.post("/v1/flips?fact=victim.age&fact=investigation.decoy", json=PIMP)
    assert r.json() == flips(engine, PIMP, ("victim.age", "investigation.decoy")
                             ).model_dump(mode="json")
    assert {f["fact"] for f in r.json()["flips"]} == {"victim.age", "investigation.decoy"}
    assert client.post("/v1/flips?fact=victim.name", json=PIMP).status_code == 422


# --- batch ------------------------------------------------------------------------------------


def test_batch_gives_the_library_lines_for_each_line(client: TestClient, engine: Engine) -> None:
    """One line out for each line in but the blank ones (skipped, as the library's batch skips
    them), in order and numbered as in the input, each exactly as the library writes it; bad
    lines become error lines and the rest go on."""
    lines = [json.dumps({"facts": PIMP}).encode(), b"not json",
             json.dumps({"facts": {"victim": {"age": 13}}}).encode(), b"",
             json.dumps({"facts": {"victim": {"agee": 1}}}).encode()] * 120
    body = b"\n".join(lines) + b"\n"
    r = client.post("/v1/batch", content=body, headers={"Content-Type": "application/x-ndjson"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/x-ndjson"
    out = r.content.splitlines(keepends=True)
    assert len(out) == sum(1 for line in lines if line)
    assert out == [line for line in evaluate_lines(lines, engine, source="request body") if line]
    assert [json.loads(line)["line"] for line in out] == [
        n for n, line in enumerate(lines, 1) if line]


def test_batch_refuses_a_line_too_long_and_a_body_too_large(engine: Engine) -> None:
    """A line over the library's line limit gets an error line; a body over the batch limit is
    a 413 before anything is evaluated."""
    with TestClient(create_app(Settings(engine=engine, max_batch_bytes=3 * MAX_LINE_BYTES))) as c:
        long_line = b'{"facts": {}, "title": "' + b"x" * MAX_LINE_BYTES + b'"}'
        r = c.post("/v1/batch", content=b'{"facts": {}}\n' + long_line + b"\n",
                   headers={"Content-Type": "application/x-ndjson"})
        first, second = (json.loads(line) for line in r.content.splitlines())
        assert "result" in first and "limited to" in second["error"]["message"]
        r = c.post("/v1/batch", content=b"{}\n" * (2 * MAX_LINE_BYTES),
                   headers={"Content-Type": "application/x-ndjson"})
        assert r.status_code == 413


def test_an_empty_batch_gives_no_lines(client: TestClient) -> None:
    """Zero lines in, zero lines out."""
    r = client.post("/v1/batch", content=b"", headers={"Content-Type": "application/x-ndjson"})
    assert r.status_code == 200 and r.content == b""


# --- the rulebook, the source, the schema, the service ------------------------------------------


def test_rules_lists_every_rule_and_filters(client: TestClient, engine: Engine) -> None:
    """Every rule once; ?kind= keeps that kind only; ?q= matches id or title."""
    every = client.get("/v1/rules").json()
    assert sorted(r["id"] for r in every) == sorted(r.id for r in engine.rulebook.rules)
    charges = client.get("/v1/rules?kind=charge").json()
    assert charges and {r["kind"] for r in charges} == {"charge"}
    assert len(charges) == sum(r.spec.kind.value == "charge" for r in engine.rulebook.rules)
    found = client.get("/v1/rules?q=ENTICING").json()
    assert found and all("enticing" in (r["id"] + r["title"]).lower() for r in found)
    assert client.get("/v1/rules?kind=verdict").status_code == 422


def test_a_rule_in_full_has_its_quotes_from_the_source(client: TestClient,
                                                       engine: Engine) -> None:
    """/v1/rules/{id} gives the rule, its conditions and its quotes, each found in the source."""
    loaded = engine.rulebook.by_id["charge.human_trafficking"]
    r = client.get("/v1/rules/charge.human_trafficking").json()
    assert r["kind"] == "charge" and r["role"] == loaded.spec.role
    assert r["conclusion"] == loaded.conclusion_id
    assert r["conditions"] and all(r["conditions"])
    rule = loaded.rule
    assert [c["quote"] for c in r["citations"]] == [c.quote for c in rule.cites]
    assert all(engine.rulebook.source.contains(c["quote"]) for c in r["citations"])
    assert r["rule"]["id"] == r["id"]


def test_an_unknown_rule_is_a_404_with_a_suggestion(client: TestClient) -> None:
    """A misspelt rule id is a 404 suggesting the closest id."""
    r = client.get("/v1/rules/charge.human_traffickin")
    assert r.status_code == 404
    assert r.json()["error"]["problems"][0]["suggestion"] == "charge.human_trafficking"


def test_source_is_the_report_card_sentence_by_sentence(client: TestClient,
                                                        engine: Engine) -> None:
    """Every sentence is text of the source, every rule id named exists, and the penalty
    sentence for traffickers is cited by the human trafficking charge."""
    doc = client.get("/v1/source").json()
    assert doc["publisher"] == "Shared Hope International"
    sentences = doc["sentences"]
    assert [s["index"] for s in sentences] == list(range(len(sentences)))
    assert all(engine.rulebook.source.contains(s["text"]) for s in sentences)
    assert {rid for s in sentences for rid in s["rules"]} <= set(engine.rulebook.by_id)
    assert any(s["heading"] for s in sentences)
    penalty = next(s for s in sentences if s["text"].startswith("Traffickers prosecuted"))
    assert "charge.human_trafficking" in penalty["rules"]
    for s in sentences:  # each rule named quotes the sentence
        for rid in s["rules"]:
            quotes = [c.quote for c in engine.rulebook.by_id[rid].rule.cites]
            assert any(q in s["text"] or s["text"] in q for q in quotes), (rid, s["text"])


def test_schema_is_the_case_file_schema_and_examples_conform(client: TestClient) -> None:
    """/v1/schema is the JSON Schema of a case file, and every example file validates."""
    import jsonschema
    import yaml

    schema = client.get("/v1/schema").json()
    assert schema == CaseFile.model_json_schema()
    for path in sorted(EXAMPLES.glob("*.yaml")):
        doc = json.loads(json.dumps(yaml.safe_load(path.read_text("utf-8")), default=str))
        jsonschema.validate(doc, schema)


def test_health_and_version(client: TestClient, engine: Engine) -> None:
    """/v1/health is up with the fingerprint; /v1/version is the results' stamp."""
    assert client.get("/v1/health").json() == {"status": "ok",
                                               "rulebook": engine.rulebook.fingerprint}
    assert client.get("/v1/version").json() == engine.stamp.model_dump(mode="json")


# --- access --------------------------------------------------------------------------------------


def test_a_token_guards_the_api_but_not_health_or_the_page(engine: Engine) -> None:
    """With a token: 401 (with WWW-Authenticate) without it or with a wrong one; 200 with it;
    health and the page need none."""
    with TestClient(create_app(Settings(engine=engine, token=TOKEN))) as c:
        r = c.post("/v1/evaluate", json=PIMP)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert r.json()["error"]["type"] == "Unauthorized"
        wrong = c.post("/v1/evaluate", json=PIMP, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        good = c.post("/v1/evaluate", json=PIMP, headers={"Authorization": f"Bearer {TOKEN}"})
        assert good.status_code == 200
        assert c.get("/v1/rules").status_code == 401
        assert c.get("/v1/health").status_code == 200
        assert c.get("/").status_code == 200
        spec = c.get("/openapi.json").json()
        assert spec["paths"]["/v1/evaluate"]["post"]["security"] == [{"bearer": []}]
        assert "security" not in spec["paths"]["/v1/health"]["get"]


def test_cors_is_off_unless_origins_are_configured(client: TestClient, engine: Engine) -> None:
    """No Access-Control-Allow-Origin by default; with an origin configured, its preflight is
    allowed and another origin's is not."""
    r = client.post("/v1/evaluate", json=PIMP, headers={"Origin": "https://cms.example"})
    assert "access-control-allow-origin" not in r.headers
    with TestClient(create_app(Settings(engine=engine, token=TOKEN,
                                        cors_origins=("https://cms.example",)))) as c:
        ask = {"Access-Control-Request-Method": "POST",
               "Access-Control-Request-Headers": "authorization,content-type"}
        ok = c.options("/v1/evaluate", headers={"Origin": "https://cms.example", **ask})
        assert ok.headers["access-control-allow-origin"] == "https://cms.example"
        other = c.options("/v1/evaluate", headers={"Origin": "https://evil.example", **ask})
        assert "access-control-allow-origin" not in other.headers


# --- the page and the docs --------------------------------------------------------------------


STATIC = Path(__file__).resolve().parent.parent / "src" / "dmst" / "web" / "static"


def test_the_page_and_the_docs_use_only_this_server(client: TestClient) -> None:
    """Every script, style and image the page and /docs name is served here; no file of the
    page names another site (no CDN)."""
    import re

    for page in ("/", "/docs"):
        html = client.get(page).text
        refs = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert refs
        for ref in refs:
            if ref.startswith("data:") or ref == "docs":
                continue
            assert not ref.startswith(("http:", "https:", "//")), ref
            assert client.get("/" + ref).status_code == 200, ref
    for path in STATIC.iterdir():
        assert not re.search(r"https?://", path.read_text("utf-8")), path.name


def test_static_files_ship_with_the_package() -> None:
    """The page's files are package data of dmst.web."""
    from importlib import resources

    names = {p.name for p in resources.files("dmst.web").joinpath("static").iterdir()}
    assert {"index.html", "app.js", "app.css", "docs.html", "docs.js"} <= names


def test_settings_from_the_environment(tmp_path: Path) -> None:
    """Workers read their settings from DMST_WEB_*; a short or missing token file is refused."""
    token = tmp_path / "token"
    token.write_text(TOKEN + "\n", encoding="utf-8")
    s = Settings.from_env({"DMST_WEB_TOKEN_FILE": str(token),
                           "DMST_WEB_CORS_ORIGINS": "https://a.example, https://b.example",
                           "DMST_WEB_MAX_BODY_BYTES": "5000"})
    assert (s.token, s.cors_origins, s.max_body_bytes) == (
        TOKEN, ("https://a.example", "https://b.example"), 5000)
    token.write_text("short\n", encoding="utf-8")
    with pytest.raises(ValueError, match="at least 16"):
        Settings.from_env({"DMST_WEB_TOKEN_FILE": str(token)})
    with pytest.raises(ValueError, match="no such token file"):
        Settings.from_env({"DMST_WEB_TOKEN_FILE": str(tmp_path / "none")})
    with pytest.raises(ValueError, match="whole number"):
        Settings.from_env({"DMST_WEB_MAX_BODY_BYTES": "-3"})


def test_input_errors_are_input_errors() -> None:
    """The library errors the API turns into 422 are all InputErrors (a FactError included)."""
    assert issubclass(FactError, InputError)
