"""User text made safe to show: one place for escaping what a scenario's author wrote.

A scenario's title, narrative, keys and values are written by whoever wrote the file, and are
shown on a terminal, in a Markdown brief and in error messages. Three dangers, three functions:

* :func:`printable` — control characters (an escape sequence can retitle or clear a terminal),
  bidirectional overrides (they reorder what is shown), lone surrogates (they cannot be encoded)
  and other invisible format characters are shown as ``\\u001b``-style escapes.
* :func:`markdown_inline` / :func:`markdown_paragraphs` — user text becomes literal Markdown
  text: no heading, list, quote, link, table cell break or HTML can be made from it.
* :func:`visible` / :func:`difference` — for error messages: a key that differs from a known
  name only in ways nobody can see (a Cyrillic ``а`` for a Latin ``a``, a zero-width space, a
  trailing space) is shown with the difference spelt out.

:func:`excerpt` bounds how much of an input is ever echoed back. All functions are pure and
take and return ``str``.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "difference",
    "excerpt",
    "markdown_inline",
    "markdown_paragraphs",
    "printable",
    "quoted",
    "visible",
]

# Unicode categories never shown as themselves: controls (Cc), format characters such as
# zero-width spaces and bidirectional overrides (Cf), surrogates (Cs), unassigned and private
# use (Cn, Co), and line and paragraph separators (Zl, Zp).
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Cn", "Co", "Zl", "Zp"})


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _hidden(ch: str) -> bool:
    return unicodedata.category(ch) in _HIDDEN_CATEGORIES


def printable(text: str, *, newlines: bool = False) -> str:
    """``text`` with every control, format, surrogate, private-use and unassigned character
    shown as a ``\\uXXXX`` escape (a backslash already there is kept as it is).

    ``newlines=True`` keeps ``\\n`` (and turns ``\\r\\n`` into ``\\n``), for multi-line text
    such as an error message; tabs are kept then too. Plain text comes back unchanged.
    """
    if text.isprintable() and (newlines or "\n" not in text):
        return text
    if newlines:
        text = text.replace("\r\n", "\n")
    keep = "\n\t" if newlines else ""
    return "".join(_escape(c) if c not in keep and _hidden(c) else c for c in text)


def excerpt(text: str, limit: int = 40) -> str:
    """At most ``limit`` characters of ``text``, made :func:`printable` (newlines escaped too),
    with ``…`` and the full length when it was cut: for echoing a piece of an input that may be
    anything (a password file, a binary blob) in an error message."""
    if len(text) <= limit:
        return printable(text)
    return f"{printable(text[:limit])}… ({len(text):,} characters)"


def quoted(text: str, limit: int = 40) -> str:
    """At most ``limit`` characters of ``text`` as :func:`visible` shows them (quoted, with
    every non-ASCII or invisible character escaped), then ``…`` and the full length if it was
    cut: for naming a key or a value in an error message."""
    if len(text) <= limit:
        return visible(text)
    return f"{visible(text[:limit])}… ({len(text):,} characters)"


# --- Markdown ------------------------------------------------------------------------------

# Characters with an inline meaning in CommonMark or GitHub Markdown: emphasis, code, links and
# images, autolinks and HTML, entities, table cells, strikethrough, headings' closing #s.
_MD_INLINE = re.compile(r"([\\`*_{}\[\]()<>#|~&!])")
# What makes a line a block: heading, quote, list item (bullets and "1." / "1)"), thematic break
# or setext underline, fenced code, table, HTML block, footnote or link definition.
_MD_BLOCK = re.compile(r"^([-+=>*#]|\d{1,9}[.)]|`{3}|~{3})")


def markdown_inline(text: str) -> str:
    """``text`` as literal Markdown on one line: whitespace runs (newlines too) become one
    space, every character with a Markdown meaning is backslash-escaped, and a line-start marker
    (``#``, ``>``, ``-``, ``1.``, ...) cannot start a block. Invisible characters are escaped as
    :func:`printable` does."""
    flat = printable(" ".join(text.split()))
    escaped = _MD_INLINE.sub(r"\\\1", flat)
    return _MD_BLOCK.sub(lambda m: "\\" + m.group(0) if not m.group(0)[0].isdigit()
                         else m.group(0)[:-1] + "\\" + m.group(0)[-1], escaped)


def markdown_paragraphs(text: str) -> list[str]:
    """``text`` split into paragraphs at blank lines, each as :func:`markdown_inline` makes
    it, each followed by an empty string (the blank line between paragraphs)."""
    out: list[str] = []
    for para in re.split(r"\n\s*\n", text.strip()):
        if para.strip():
            out += [markdown_inline(para), ""]
    return out


# --- invisible differences -----------------------------------------------------------------


def _describe(ch: str) -> str:
    name = unicodedata.name(ch, "")
    code = f"U+{ord(ch):04X}"
    return f"{code} {name}" if name else code


def visible(text: str) -> str:
    """``text`` quoted as Python would (``'age '``), with every non-ASCII or invisible
    character escaped, so two keys that look alike on screen look different here."""
    body = "".join(c if " " <= c <= "~" and c not in "'\\" else
                   ("\\" + c if c in "'\\" else _escape(c)) for c in text)
    return f"'{body}'"


def difference(given: str, known: str) -> str | None:
    """Why ``given`` is not ``known`` when a reader could not see it (a trailing space, an
    invisible character, a letter from another script that looks Latin), or ``None`` when the
    difference can be seen (a plain misspelling) or there is none.

    >>> difference("age ", "age")
    'ends with a space'
    >>> difference("\u0430ge", "age")
    'contains U+0430 CYRILLIC SMALL LETTER A, which looks like a Latin letter'
    """
    if given == known:
        return None
    notes: list[str] = []
    core = given
    if core != core.rstrip():
        notes.append("ends with a space" if core.endswith(" ") else "ends with white space")
        core = core.rstrip()
    if core != core.lstrip():
        notes.append("starts with a space" if core.startswith(" ") else "starts with white space")
        core = core.lstrip()
    hidden = [c for c in core if _hidden(c) or (unicodedata.category(c) == "Zs" and c != " ")]
    for c in dict.fromkeys(hidden):
        notes.append(f"contains the invisible character {_describe(c)}")
    core = "".join(c for c in core if c not in hidden)
    if core != known:
        foreign = [c for c in core if not c.isascii()]
        if not foreign or _skeleton(core) != _skeleton(known):
            return None
        notes += [f"contains {_describe(c)}, which looks like a Latin letter"
                  for c in dict.fromkeys(foreign)]
    return "; ".join(notes) or None


# Letters from other scripts that are drawn like Latin ones (the common cases in keys).
_LOOKALIKE = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j",
    "ѕ": "s", "ԁ": "d", "һ": "h", "ɡ": "g", "ӏ": "l", "А": "A", "В": "B", "Е": "E", "К": "K",
    "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T", "Х": "X", "α": "a", "ο": "o",
    "ν": "v", "ρ": "p", "τ": "t", "ι": "i", "κ": "k", "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z",
    "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Χ": "X",
    "ı": "i", "ℓ": "l",
})


def _skeleton(text: str) -> str:
    """What ``text`` looks like: compatibility forms folded, look-alike letters made Latin."""
    return unicodedata.normalize("NFKC", text).translate(_LOOKALIKE)
