"""The JSON API under ``/v1/``: each route reads the request, calls the library, writes its model.

No law and no rendering lives here: results, explanations, why-not answers, diffs and
single-fact changes are the library's models, and the text and Markdown forms are the library's
renderers. What this module adds is HTTP: reading a bounded body, telling a case file from bare
facts, and turning the library's errors into error responses (see :mod:`dmst.web.app`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator, Callable, Iterator
from functools import cached_property
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse
from pydantic import TypeAdapter

from dmst._names import Format, View
from dmst.batch import MAX_LINE_BYTES, BatchEvaluator, LineTooLong
from dmst.engine._engine import Engine
from dmst.engine._plan import citations_for
from dmst.engine.explain import ExplanationNode, explain, resolve_id
from dmst.engine.result import CaseResult, Result, Stamp
from dmst.engine.whatif import FlipReport, ScenarioDiff, diff, flips, pair_index
from dmst.engine.whynot import WhyNot, why_not
from dmst.errors import DmstError, FactError, InputError, Problem, SourceFileError
from dmst.facts.load import CaseFile, JsonProblem, parse_case, parse_json
from dmst.facts.load import case_from_data as _case_from_data
from dmst.facts.paths import FLIP_FACTS
from dmst.report import render
from dmst.rules import Kind, LoadedRule, Rulebook
from dmst.rules._coverage import coverage
from dmst.web.models import (
    ErrorBody,
    Health,
    RuleDetail,
    RuleSummary,
    SourceDocument,
    SourceSentence,
    ValidCase,
)

__all__ = ["BODY", "HTTPProblem", "OutputFormat", "Service", "build_router"]

#: How errors name the request body (``error.file``).
BODY = "request body"

_JSON = "application/json"
_YAML_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"})
_LINES_TYPES = frozenset({"application/x-ndjson", "application/jsonl", "application/json-lines",
                          "application/x-jsonlines", "application/jsonlines"})
_BATCH_CHUNK = 256


#: The form of a response and the reader of a report: the names the command line offers.
OutputFormat = Format
ReportView = View


class HTTPProblem(Exception):
    """An error response: ``status`` and the ``error`` object of :class:`ErrorBody`."""

    def __init__(self, status: int, error: dict[str, Any],
                 headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.error = error
        self.headers = headers or {}
        super().__init__(error.get("message", ""))


def problem(kind: str, message: str, **extra: Any) -> dict[str, Any]:
    """An ``error`` object of :class:`ErrorBody` for an error of the HTTP exchange itself."""
    return {"type": kind, "message": message, "file": extra.get("file"),
            "line": extra.get("line"), "field": extra.get("field"),
            "problems": extra.get("problems", [])}


@dataclasses.dataclass
class Service:
    """What the routes share: one engine (per process) and the request limits."""

    engine: Engine
    max_body_bytes: int
    max_batch_bytes: int

    @property
    def rulebook(self) -> Rulebook:
        return self.engine.rulebook

    def evaluate(self, case: CaseFile, strict: bool = False) -> Result | CaseResult:
        """The library's evaluation of ``case``: a :class:`Result` for one accused and one
        victim, a :class:`CaseResult` for a case of several; ``strict`` makes no presumption."""
        return self.engine.evaluate_file(case, presume=not strict)

    def pair_result(self, case: CaseFile, strict: bool, accused: str | None,
                    victim: str | None) -> tuple[Result, str]:
        """The result for one pair of ``case`` (the only one of a single scenario) and words
        naming the pair (empty for a single scenario). Raises
        :class:`~dmst.errors.InputError` for a pair that is not in the case."""
        check_people(case, accused, victim)
        k = pair_index(case.facts, accused, victim)
        result = self.evaluate(case, strict)
        if isinstance(result, CaseResult):
            pair = result.pairs[k]
            return pair.result, f" (accused {pair.accused}, victim {pair.victim})"
        return result, ""

    @cached_property
    def schema_json(self) -> bytes:
        return _dumps(CaseFile.model_json_schema())

    @cached_property
    def source_json(self) -> bytes:
        rb = self.rulebook
        src = self.engine.stamp
        report = coverage(rb)
        doc = SourceDocument(
            title=src.source.get("title", ""), publisher=src.source.get("publisher", ""),
            edition=src.source.get("edition", ""), url=src.source.get("url", ""),
            as_of=dict(src.as_of),
            sentences=[
                SourceSentence(index=i, text=u.sentence, heading=u.context_reason == "heading",
                               rules=list(u.rules),
                               context=None if u.context_reason == "heading" else
                               u.context_reason)
                for i, u in enumerate(report.units)
            ],
        )
        return doc.model_dump_json().encode()

    @cached_property
    def rules_ordered(self) -> list[LoadedRule]:
        areas = {a: i for i, a in enumerate(self.rulebook.meta.areas)}
        return sorted(self.rulebook.rules, key=lambda r: (areas.get(r.area, len(areas)), r.id))


# --- reading requests --------------------------------------------------------------------------


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _is_json(media: str) -> bool:
    return media == _JSON or (media.startswith("application/") and media.endswith("+json"))


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 once it is more than ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> HTTPProblem:
    return HTTPProblem(413, problem(
        "BodyTooLarge",
        f"the request body is more than {limit:,} bytes, the limit of this server; a case file "
        "is a few dozen facts (send many cases to /v1/batch, one a line)",
        file=BODY))


def _unsupported(media: str, expected: str) -> HTTPProblem:
    given = f"'{media}'" if media else "no Content-Type"
    return HTTPProblem(415, problem(
        "UnsupportedMediaType",
        f"the request has {given}; send {expected}", file=BODY))


def _json(raw: bytes) -> Any:
    try:
        return parse_json(raw)
    except JsonProblem as exc:
        raise SourceFileError(exc.message, file=BODY, line=exc.line) from None


def case_from_data(data: Any, *, part: str | None = None) -> CaseFile:
    """A :class:`CaseFile` from decoded JSON: a case file (with ``facts``) or bare facts.

    ``part`` names the member of the body the data came from (``a`` or ``b`` of a diff); error
    fields are then prefixed with it. Raises :class:`~dmst.errors.InputError`.
    """
    where = f"'{part}'" if part else "the body"
    if not isinstance(data, dict):
        kind = {list: "a list", str: "a string", bool: "true or false", type(None): "null"}.get(
            type(data), "a number")
        raise _prefixed(SourceFileError(
            f"{where} is {kind}; send a JSON object: a case file with 'facts' (and optional "
            "title and narrative), or the facts themselves (victim, accused, ... or a case's "
            "victims and list of accused)",
            file=BODY), part)
    try:
        return _case_from_data(data, name=BODY)
    except InputError as exc:
        raise _prefixed(exc, part) from None


def _prefixed(error: InputError, part: str | None) -> InputError:
    if part is None:
        return error

    def under(path: str | None) -> str:
        return f"{part}.{path}" if path else part

    return type(error)(
        error.message, file=error.file, line=error.line, field=under(error.field),
        problems=tuple(dataclasses.replace(p, field=under(p.field)) for p in error.problems),
    )


async def read_case(request: Request, service: Service) -> CaseFile:
    """The case the request body holds: JSON (a case file or bare facts) or a YAML case file."""
    media = _media_type(request)
    json_body = _is_json(media)
    if not json_body and media not in _YAML_TYPES:
        raise _unsupported(media, "Content-Type: application/json (or application/yaml for a "
                                  "YAML case file)")
    raw = await read_body(request, service.max_body_bytes)
    if not json_body:
        return parse_case(raw, name=BODY)
    return case_from_data(_json(raw))


def check_people(case: CaseFile, accused: str | None, victim: str | None) -> None:
    """Raise the library's :class:`~dmst.errors.InputError` when ``accused`` and ``victim`` (the
    query parameters) do not pick one pair of the case, its fields named as the parameters
    (``query.accused``)."""
    try:
        pair_index(case.facts, accused, victim)
    except InputError as exc:
        def field(name: str | None) -> str | None:
            return f"query.{name}" if name in ("accused", "victim") else name

        raise InputError(exc.message, field=field(exc.field), problems=tuple(
            dataclasses.replace(p, field=field(p.field)) for p in exc.problems)) from None


# --- writing responses -------------------------------------------------------------------------


def _dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def _json_response(body: bytes) -> Response:
    return Response(body, media_type=_JSON)


_MEDIA = {OutputFormat.markdown: "text/markdown", OutputFormat.text: "text/plain",
          OutputFormat.html: "text/html"}


def _respond(obj: Any, fmt: OutputFormat, view: ReportView = ReportView.all,
             **document: Any) -> Response:
    """``obj`` (a library model, or a list of explanation nodes) as JSON or as its report."""
    if fmt is OutputFormat.json:
        if isinstance(obj, list):
            return _json_response(_EXPLANATIONS.dump_json(obj))
        return _json_response(obj.model_dump_json().encode())
    text = render(obj, format=fmt.value, view=view.value, **document)
    return Response(text, media_type=f"{_MEDIA[fmt]}; charset=utf-8")


_EXPLANATIONS = TypeAdapter(list[ExplanationNode])
_RULES = TypeAdapter(list[RuleSummary])


def _summary(rule: LoadedRule, rb: Rulebook) -> dict[str, Any]:
    spec = rule.spec
    return {
        "id": rule.id, "title": rule.rule.title, "conclusion": rule.conclusion_id,
        "conclusion_title": rb.conclusions[rule.conclusion_id].title, "kind": spec.kind,
        "role": spec.role, "offense": spec.offense, "certainty": rule.certainty,
        "source_silent": rule.silent, "area": rule.area, "file": rule.file,
    }


def _detail(rule: LoadedRule, rb: Rulebook) -> RuleDetail:
    conditions = [[rb.describe(a) for a in alt] for alt in rule.alternatives]
    return RuleDetail(
        **_summary(rule, rb),
        conditions=conditions,
        unless=list(rule.rule.unless),
        then=_spec_dump(rule),
        citations=citations_for(rb, [rule]),
        rule=rule.rule.model_dump(mode="json", by_alias=True, exclude_none=True),
    )


def _spec_dump(rule: LoadedRule) -> dict[str, Any]:
    return rule.spec.model_dump(mode="json", exclude_none=True)


# --- OpenAPI descriptions of bodies and responses ------------------------------------------------

_CASE_SCHEMA = {"oneOf": [{"$ref": "#/components/schemas/CaseFile"},
                          {"$ref": "#/components/schemas/Scenario"},
                          {"$ref": "#/components/schemas/Case"}]}
_CASE_BODY = {
    "required": True,
    "description": "A case file (`facts`, optional `title` and `narrative`) or the facts "
    "alone (one victim and one accused, or a case's `victims` and list of `accused`), as JSON; or a YAML case file with Content-Type application/yaml. Every fact is "
    "optional: a fact left out is unknown, never false.",
    "content": {
        _JSON: {"schema": _CASE_SCHEMA},
        "application/yaml": {"schema": {"$ref": "#/components/schemas/CaseFile"}},
    },
}
_DIFF_BODY = {
    "required": True,
    "description": "Two cases, each a case file or the facts alone.",
    "content": {_JSON: {"schema": {
        "type": "object", "required": ["a", "b"], "additionalProperties": False,
        "properties": {"a": _CASE_SCHEMA, "b": _CASE_SCHEMA},
    }}},
}
_BATCH_BODY = {
    "required": True,
    "description": "JSON Lines: one case a line, each a JSON object with `facts` (as in a case "
    "file). Content-Type application/x-ndjson (or application/jsonl).",
    "content": {"application/x-ndjson": {"schema": {
        "type": "array", "items": {"$ref": "#/components/schemas/CaseFile"},
        "description": "Each item is one line of the body.",
    }}},
}
_TEXT_FORMS = {
    "text/markdown": {"schema": {"type": "string"}},
    "text/plain": {"schema": {"type": "string"}},
    "text/html": {"schema": {"type": "string"}},
}


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    words = {
        401: "A bearer token is required (the server was started with --token-file).",
        404: "No such rule.",
        413: "The request body is larger than the server's limit.",
        415: "The Content-Type is not one this operation reads.",
        422: "The input cannot be used: dmst's problems, each with its field and suggestion.",
        500: "An internal error (a bug in dmst); the body gives a reference, never a traceback.",
    }
    return {s: {"model": ErrorBody, "description": words[s]} for s in statuses}


def _ok(model: Any, description: str, text: bool = False) -> dict[int | str, dict[str, Any]]:
    entry: dict[str, Any] = {"model": model, "description": description}
    if text:
        entry["content"] = dict(_TEXT_FORMS)
    return {200: entry}


FormatQuery = Annotated[
    OutputFormat,
    Query(description="json: the library's model; markdown: a document to print or paste; "
                      "text: the report the command line prints; html: a page to print."),
]
ViewQuery = Annotated[
    ReportView,
    Query(description="The reader a report is written for: all; prosecutor (charges, "
                      "penalties, consequences, defenses barred); advocate (the victim's "
                      "protections, remedies and deadlines); investigator (tools and gaps). "
                      "No effect on JSON."),
]
AccusedQuery = Annotated[str | None, Query(
    description="In a case of several people: the id of the accused of the pair.",
    max_length=200)]
VictimQuery = Annotated[str | None, Query(
    description="In a case of several people: the id of the victim of the pair.",
    max_length=200)]
StrictQuery = Annotated[bool, Query(
    description="Make no presumption the rulebook declares: unknown facts stay unknown (in "
                "every case compared or changed, for /diff and /flips); without it, every "
                "presumption made is listed in the result.")]


# --- the routes ---------------------------------------------------------------------------------


def build_router(service: Service, *, auth: bool = False) -> APIRouter:
    """The ``/v1`` routes over ``service``'s engine. ``auth`` documents the 401 response."""
    router = APIRouter()
    posted = (*((401,) if auth else ()), 413, 415, 422, 500)
    got = (*((401,) if auth else ()), 500)

    def posts(path: str, tag: str, summary: str, model: Any, answer: str, *,
              body: dict[str, Any] = _CASE_BODY, text: bool = True
              ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """A POST route taking a case (``body``) and answering ``model`` (or, with ``text``,
        a report)."""
        return router.post(path, tags=[tag], summary=summary,
                           openapi_extra={"requestBody": body},
                           responses={**_ok(model, answer, text=text), **_errors(*posted)})

    @posts("/evaluate", "cases", "Evaluate a case", Result | CaseResult,
           "The cited result: conclusions by kind, the victim's statuses, what is undetermined "
           "and what to ask next, warnings and the stamp; for a case of several people, one "
           "such result for each pair of accused and victim, with summaries by accused and by "
           "victim.")
    async def evaluate_case(
        request: Request,
        format: FormatQuery = OutputFormat.json,
        view: ViewQuery = ReportView.all,
        strict: StrictQuery = False,
    ) -> Response:
        """Evaluate one case: its charges with penalties, consequences, barred defenses, the
        victim's protections, investigation tools and gaps, each with the verbatim sentence of
        the source; what the facts cannot decide; and the facts to ask about next."""
        case = await read_case(request, service)
        result = await run_in_threadpool(service.evaluate, case, strict)
        return _respond(result, format, view, title=case.title, narrative=case.narrative,
                        case_id=case.case_id)

    @posts("/validate", "cases", "Read a case file without evaluating it", ValidCase,
           "The case as dmst reads it.", text=False)
    async def validate_case(request: Request) -> Response:
        """Check a case file (JSON or YAML) and return it as JSON, unknown facts left out: the
        same problems as /evaluate gives, without evaluating."""
        case = await read_case(request, service)
        return _json_response(_dumps(case.model_dump(mode="json", exclude_none=True)))

    @posts("/explain", "questions", "How each conclusion was reached", list[ExplanationNode],
           "Derivation trees down to the facts given, each step with its rule and quotes.")
    async def explain_case(
        request: Request,
        conclusion: Annotated[str | None, Query(
            description="A conclusion or rule id; every conclusion when left out.",
            max_length=200)] = None,
        accused: AccusedQuery = None,
        victim: VictimQuery = None,
        format: FormatQuery = OutputFormat.json,
        strict: StrictQuery = False,
    ) -> Response:
        """The derivation of every conclusion that applies, or of one. A conclusion that does
        not apply is a 422 that says to ask /why-not instead."""
        case = await read_case(request, service)
        result, where = await run_in_threadpool(service.pair_result, case, strict, accused,
                                                victim)
        nodes = explain(result, conclusion, rulebook=service.rulebook)
        return _respond(nodes, format, title=f"How it was reached: {case.title or 'the case'}"
                        f"{where}", undetermined=0 if conclusion else len(result.undetermined),
                        stamp=result.stamp)

    @posts("/why-not", "questions", "Why a conclusion does not apply", WhyNot,
           "Each rule that could add the conclusion, condition by condition; for an "
           "undetermined one, the facts that decide it.")
    async def why_not_case(
        request: Request,
        conclusion: Annotated[str, Query(description="A conclusion or rule id.",
                                         min_length=1, max_length=200)],
        depth: Annotated[int, Query(ge=0, le=5, description="How many levels of conditions "
                                    "on other conclusions to explain in turn.")] = 1,
        accused: AccusedQuery = None,
        victim: VictimQuery = None,
        format: FormatQuery = OutputFormat.json,
        strict: StrictQuery = False,
    ) -> Response:
        """Why ``conclusion`` does or does not apply on the case: every condition marked as
        holding, failing or unknown, with the fact's value."""
        case = await read_case(request, service)
        check_people(case, accused, victim)
        answer = await run_in_threadpool(
            lambda: why_not(service.engine, case.facts, conclusion, accused=accused,
                            victim=victim, depth=depth, presume=not strict))
        return _respond(answer, format)

    @posts("/diff", "questions", "What changes between two cases", ScenarioDiff,
           "The facts that differ and the conclusions that appear, disappear or change, each "
           "with the facts that caused it.", body=_DIFF_BODY)
    async def diff_cases(
        request: Request,
        format: FormatQuery = OutputFormat.json,
        strict: StrictQuery = False,
    ) -> Response:
        """Compare case ``a`` with case ``b``."""
        media = _media_type(request)
        if not _is_json(media):
            raise _unsupported(media, "Content-Type: application/json")
        data = _json(await read_body(request, service.max_body_bytes))
        if not isinstance(data, dict):
            raise SourceFileError("send a JSON object with 'a' and 'b', each a case", file=BODY)
        extra = sorted(set(data) - {"a", "b"})
        missing = [k for k in ("a", "b") if k not in data]
        if extra or missing:
            raise InputError(
                "send a JSON object with exactly 'a' and 'b', each a case file or its facts",
                file=BODY,
                problems=tuple([Problem("unknown key", field=k) for k in extra]
                               + [Problem("is required", field=k) for k in missing]),
            )
        a, b = case_from_data(data["a"], part="a"), case_from_data(data["b"], part="b")
        changes = await run_in_threadpool(
            lambda: diff(service.engine, a.facts, b.facts, presume=not strict))
        return _respond(changes, format, compare=(a.title or "A", b.title or "B"))

    @posts("/flips", "questions", "What if one fact changed", FlipReport,
           "Each single-fact change tried and what it adds or removes.")
    async def flip_facts(
        request: Request,
        fact: Annotated[list[str] | None, Query(
            description="Fact paths to change (repeat the parameter); by default the victim's "
                        "ages, the decoy, internet use, third-party control and the other "
                        "true/false facts the library tries.",
            max_length=50)] = None,
        accused: AccusedQuery = None,
        victim: VictimQuery = None,
        format: FormatQuery = OutputFormat.json,
        strict: StrictQuery = False,
    ) -> Response:
        """Try single changes of facts (ages across every threshold the rules use, true/false
        facts toggled, unknown ones set either way) and report what each would change."""
        case = await read_case(request, service)
        check_people(case, accused, victim)
        paths = tuple(fact) if fact else FLIP_FACTS
        report = await run_in_threadpool(
            lambda: flips(service.engine, case.facts, paths, accused=accused, victim=victim,
                          presume=not strict))
        return _respond(report, format, title=case.title)

    @router.post(
        "/batch", tags=["cases"], summary="Evaluate many cases, one a line",
        openapi_extra={"requestBody": _BATCH_BODY},
        responses={200: {"description": "One JSON line for each input line, in order: "
                         "{\"line\": n, \"result\": {...}} or {\"line\": n, \"error\": {...}}. "
                         "Streamed as it is computed.",
                         "content": {"application/x-ndjson": {"schema": {"type": "string"}}}},
                   **_errors(*posted)},
    )
    async def batch(request: Request) -> Response:
        """Evaluate a JSON Lines body, one case a line; a bad line gets an error line and the
        rest go on (lines in = lines out). The output is streamed."""
        media = _media_type(request)
        if media not in _LINES_TYPES and not _is_json(media):
            raise _unsupported(media, "Content-Type: application/x-ndjson, one case a line")
        raw = await read_body(request, service.max_batch_bytes)
        evaluator = BatchEvaluator(service.engine, source=BODY)

        async def lines() -> AsyncIterator[bytes]:
            chunk: list[bytes | LineTooLong] = []
            start = 1
            for number, item in enumerate(_split_lines(raw), 1):
                chunk.append(item)
                if len(chunk) >= _BATCH_CHUNK:
                    yield await run_in_threadpool(_evaluate_chunk, evaluator, chunk, start)
                    chunk, start = [], number + 1
            if chunk:
                yield await run_in_threadpool(_evaluate_chunk, evaluator, chunk, start)

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    @router.get(
        "/rules", tags=["rulebook"], summary="The rulebook, one rule an entry",
        responses={**_ok(list[RuleSummary], "Rules in the order of the source's areas."),
                   **_errors(*got, 422)},
    )
    async def list_rules(
        q: Annotated[str | None, Query(description="Only rules whose id or title contains "
                                       "this (any case).", max_length=200)] = None,
        kind: Annotated[Kind | None, Query(description="Only rules adding this kind of "
                                           "conclusion.")] = None,
    ) -> Response:
        """Every rule: id, title, the conclusion it adds, certainty, area and file."""
        rb = service.rulebook
        needle = (q or "").lower()
        selected = [_summary(r, rb) for r in service.rules_ordered
                    if (kind is None or r.spec.kind is kind)
                    and (not needle or needle in f"{r.id} {r.rule.title}".lower())]
        return _json_response(_RULES.dump_json([RuleSummary(**s) for s in selected]))

    @router.get(
        "/rules/{rule_id}", tags=["rulebook"], summary="One rule in full",
        responses={**_ok(RuleDetail, "The rule with its conditions, exceptions, conclusion "
                         "and quotes."), **_errors(*got, 404, 422)},
    )
    async def show_rule(rule_id: str) -> Response:
        """One rule by id. A conclusion id or an unknown id is a 404 naming the rules to ask for
        (a close id as the suggestion)."""
        rb = service.rulebook
        rule = rb.by_id.get(rule_id)
        if rule is None:
            try:
                cid, _ = resolve_id(rb, rule_id)
            except InputError as exc:
                raise HTTPProblem(404, exc.to_dict()) from None
            ids = [r.id for r in rb.rules_for[cid]]
            raise HTTPProblem(404, InputError(
                f"'{rule_id}' is a conclusion, not a rule; it is added by "
                f"{', '.join(ids)}", field=rule_id,
                problems=(Problem("ask for one of the rules that add it", suggestion=ids[0]),),
            ).to_dict())
        return _json_response(_detail(rule, rb).model_dump_json().encode())

    @router.get(
        "/source", tags=["rulebook"], summary="The source text, with the rules citing it",
        responses={**_ok(SourceDocument, "The report card sentence by sentence, each with "
                         "the rules that quote it."), **_errors(*got)},
    )
    async def source() -> Response:
        """The report card the rulebook encodes, cut into headings and sentences, each with the
        ids of the rules quoting it (or why it is context only)."""
        return _json_response(service.source_json)

    @router.get(
        "/schema", tags=["rulebook"], summary="JSON Schema of a case file",
        responses={200: {"description": "The JSON Schema (2020-12) of a case file, as "
                         "`dmst schema` prints it; each fact with its description.",
                         "content": {_JSON: {"schema": {"type": "object"}}}},
                   **_errors(*got)},
    )
    async def schema() -> Response:
        """The JSON Schema of a case file: what the page's form is made from."""
        return _json_response(service.schema_json)

    @router.get("/health", tags=["service"], summary="Is the service up",
                responses={**_ok(Health, "The service is up."), **_errors(500)})
    async def health() -> Response:
        """Always 200 while the service runs; needs no token."""
        return _json_response(Health(status="ok",
                                     rulebook=service.rulebook.fingerprint
                                     ).model_dump_json().encode())

    @router.get("/version", tags=["service"], summary="Versions of dmst, the rulebook, the source",
                responses={**_ok(Stamp, "The stamp every result carries."), **_errors(*got)})
    async def version() -> Response:
        """The versions of dmst and durable_rules, the rulebook's id, version and fingerprint,
        the source's edition and the period it describes, and the not-legal-advice notice."""
        return _json_response(service.engine.stamp.model_dump_json().encode())

    return router


def _split_lines(raw: bytes) -> Iterator[bytes | LineTooLong]:
    """The lines of a JSON Lines body (the newline after the last one is optional)."""
    if not raw:
        return
    lines = raw.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    for line in lines:
        yield LineTooLong(len(line)) if len(line) > MAX_LINE_BYTES else line


def _evaluate_chunk(evaluator: BatchEvaluator, items: list[bytes | LineTooLong],
                    start: int) -> bytes:
    return b"".join(evaluator.lines(items, start))


def error_status(error: DmstError) -> int:
    """422 for input the caller can fix, 500 for anything else dmst raised (a bug)."""
    return 422 if isinstance(error, (InputError, FactError)) else 500
