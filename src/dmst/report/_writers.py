"""The writers of a :class:`~dmst.report._doc.Document`: plain text (wrapped, marked with
symbols), Markdown (user text escaped, so a title cannot become a heading) and HTML (escaped,
self-contained, printable).

Every writer escapes the text it is given: control characters never reach a terminal, and
Markdown or HTML syntax in a case's title or narrative is shown, not obeyed."""

from __future__ import annotations

import html
import re
import textwrap

from dmst.report._doc import MARKS, Document, Entry, Section

__all__ = ["write_html", "write_markdown", "write_text"]

WIDTH = 100
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


def plain(text: str) -> str:
    """Text safe for a terminal: control and invisible formatting characters shown as escapes,
    never sent raw."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def line(text: str) -> str:
    """Text on one line: safe for a terminal, line breaks and runs of space folded."""
    return " ".join(plain(text).split())


# --- text --------------------------------------------------------------------------------------


def _wrap(text: str, indent: str, more: str | None = None) -> list[str]:
    return textwrap.wrap(plain(text), width=WIDTH, initial_indent=indent,
                         subsequent_indent=more if more is not None else indent,
                         break_on_hyphens=False) or [indent.rstrip()]


def _refs(refs: tuple[int, ...]) -> str:
    return f" [{', '.join(str(r) for r in refs)}]" if refs else ""


def _entry_text(e: Entry, indent: str, number: int | None) -> list[str]:
    mark = f"{number}." if number is not None else MARKS.get(e.mark or "", "-")
    head = f"{mark} {e.text}{_refs(e.refs)}"
    if e.code:
        head += f"  ({e.code})"
    lines = _wrap(head, indent, indent + "  ")
    for d in e.detail:
        lines += _wrap(d, indent + "    ")
    for child in e.children:
        lines += _entry_text(child, indent + "    ", None)
    return lines


def _section_text(s: Section, depth: int) -> list[str]:
    indent = "  " * depth
    out = [f"{indent}{line(s.title)}"]
    for p in s.intro:
        out += _wrap(p, indent + "  ")
    for i, e in enumerate(s.entries, 1):
        out += _entry_text(e, indent + "  ", i if s.numbered else None)
    for sub in s.sections:
        out += _section_text(sub, depth + 1)
    out.append("")
    return out


def write_text(doc: Document) -> str:
    """The document as wrapped plain text."""
    title = line(doc.title)
    out = [title, "=" * min(len(title), WIDTH)]
    for lead in doc.lead:
        out += _wrap(lead, "")
    out.append("")
    for s in doc.sections:
        out += _section_text(s, 0)
    if doc.notes:
        out += ["Sources (the report card, verbatim)"]
        for n in doc.notes:
            out += _wrap(f"[{n.number}] \u201c{n.quote}\u201d \u2014 {n.where}", "  ", "      ")
        out.append("")
    for foot in doc.footer:
        out += _wrap(foot, "")
    if doc.legend:
        out += _wrap("Legend: " + "; ".join(doc.legend), "")
    return "\n".join(out).rstrip("\n") + "\n"


# --- Markdown ----------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|~])")
_MD_LINE_START = re.compile(r"^(\d*)([#>+=.)-])")


def md(text: str) -> str:
    """User or report text as Markdown shows it literally: emphasis, code, link, HTML and table
    characters are escaped, line breaks folded, and what would start a heading, a quote or a
    list escaped too."""
    flat = _MD_SPECIAL.sub(r"\\\1", line(text).replace("&", "&amp;"))
    return _MD_LINE_START.sub(r"\1\\\2", flat)


def _entry_md(e: Entry, indent: str, number: int | None) -> list[str]:
    bullet = f"{number}." if number is not None else "-"
    mark = MARKS.get(e.mark or "") if e.mark != "fact" else None
    head = f"{indent}{bullet} {mark + ' ' if mark else ''}{md(e.text)}"
    if e.refs:
        head += " " + " ".join(f"[{r}](#source-{r})" for r in e.refs)
    if e.code:
        head += f" `{e.code.replace('`', '')}`"
    lines = [head]
    for d in e.detail:
        lines.append(f"{indent}    - {md(d)}")
    for child in e.children:
        lines += _entry_md(child, indent + "    ", None)
    return lines


def _section_md(s: Section, level: int) -> list[str]:
    out = [f"{'#' * level} {md(s.title)}", ""]
    for p in s.intro:
        out += [md(p), ""]
    for i, e in enumerate(s.entries, 1):
        out += _entry_md(e, "", i if s.numbered else None)
    if s.entries:
        out.append("")
    for sub in s.sections:
        out += _section_md(sub, level + 1)
    return out


def write_markdown(doc: Document) -> str:
    """The document as Markdown (headings, lists, numbered sources)."""
    out = [f"# {md(doc.title)}", ""]
    out += [f"{md(line)}  " for line in doc.lead] + [""]
    for s in doc.sections:
        out += _section_md(s, 2)
    if doc.notes:
        out += ["## Sources (the report card, verbatim)", ""]
        for n in doc.notes:
            out.append(f'{n.number}. <a id="source-{n.number}"></a>\u201c{md(n.quote)}\u201d '
                       f"\u2014 {md(n.where)}")
        out.append("")
    for line in doc.footer:
        out += [md(line), ""]
    if doc.legend:
        out += ["*Legend:* " + md("; ".join(doc.legend)), ""]
    return "\n".join(out).rstrip("\n") + "\n"


# --- HTML --------------------------------------------------------------------------------------

_STYLE = """
body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#111;background:#fff}
h1{font-size:1.6rem}h2{font-size:1.25rem;border-bottom:1px solid #888;margin-top:2rem}
h3{font-size:1.05rem}ul,ol{padding-left:1.4rem}li{margin:.25rem 0}
.mark{font-weight:700;display:inline-block;min-width:1.2em}
.applies,.holds,.appears{color:#0b6b0b}.may_apply{color:#7a4d00}
.does_not_apply,.fails,.disappears,.warning{color:#a40000}
.undetermined,.source_silent,.unknown{color:#333}
.detail{color:#333;font-size:.95rem;margin:0}code{font-size:.9em}
.lead{color:#222}.notes li{font-size:.95rem}
@media print{body{margin:0;max-width:none}a{color:inherit;text-decoration:none}}
"""


def _h(text: str) -> str:
    return html.escape(plain(text), quote=True)


def _entry_html(e: Entry, number: bool) -> list[str]:
    mark = MARKS.get(e.mark or "")
    label = f'<span class="mark {e.mark}" aria-hidden="true">{_h(mark)}</span>' if mark else ""
    sr = f'<span class="visually-hidden">{_h((e.mark or "").replace("_", " "))}: </span>' \
        if mark else ""
    refs = "".join(f' <a href="#source-{r}" aria-label="source {r}">[{r}]</a>' for r in e.refs)
    code = f" <code>{_h(e.code)}</code>" if e.code else ""
    out = [f"<li>{label}{sr}{_h(e.text)}{refs}{code}"]
    for d in e.detail:
        out.append(f'<p class="detail">{_h(d)}</p>')
    if e.children:
        out.append("<ul>")
        for child in e.children:
            out += _entry_html(child, False)
        out.append("</ul>")
    out.append("</li>")
    return out


def _section_html(s: Section, level: int) -> list[str]:
    tag = f"h{min(level, 6)}"
    out = [f"<section><{tag}>{_h(s.title)}</{tag}>"]
    out += [f"<p>{_h(p)}</p>" for p in s.intro]
    if s.entries:
        lst = "ol" if s.numbered else "ul"
        out.append(f"<{lst}>")
        for e in s.entries:
            out += _entry_html(e, s.numbered)
        out.append(f"</{lst}>")
    for sub in s.sections:
        out += _section_html(sub, level + 1)
    out.append("</section>")
    return out


def write_html(doc: Document, *, standalone: bool = True) -> str:
    """The document as HTML: a whole page (``standalone``) or a fragment for a page."""
    body = [f"<h1>{_h(doc.title)}</h1>"]
    body += [f'<p class="lead">{_h(line)}</p>' for line in doc.lead]
    for s in doc.sections:
        body += _section_html(s, 2)
    if doc.notes:
        body.append('<section class="notes"><h2>Sources (the report card, verbatim)</h2><ol>')
        for n in doc.notes:
            body.append(f'<li id="source-{n.number}">\u201c{_h(n.quote)}\u201d \u2014 '
                        f"{_h(n.where)}</li>")
        body.append("</ol></section>")
    body += [f"<p><small>{_h(line)}</small></p>" for line in doc.footer]
    if doc.legend:
        body.append(f"<p><small>Legend: {_h('; '.join(doc.legend))}</small></p>")
    fragment = "\n".join(body)
    if not standalone:
        return fragment + "\n"
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_h(doc.title)}</title><style>{_STYLE}"
        ".visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;"
        "clip:rect(0 0 0 0)}</style></head>"
        f"<body><main>\n{fragment}\n</main></body></html>\n"
    )
