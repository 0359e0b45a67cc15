"""Jinja2 environment and template filters; the only importer of jinja2, markdown and nh3.

Templates only lay out values computed in Python; the filters here format them (money with
Babel through `money.format_money`, dates, percentages) and render Markdown notes to HTML that
is sanitized whatever a contributor writes in a file.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import markdown as markdown_lib
import nh3
from markdown.inlinepatterns import LinkInlineProcessor

from textcrm import notes
from textcrm.money import format_money, format_number, plain
from textcrm.plural import counted

_ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "details",
    "dd",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align"},
    "th": {"align"},
    "abbr": {"title"},
    "code": {"class"},
    "span": {"class"},
    "div": {"class"},
}
_URL_SCHEMES = {"http", "https", "mailto", "tel"}


def template_dirs(root: Path | None) -> list[Path]:
    """Where templates are looked up: the CRM repository's own `templates/` first (overrides),
    then the ones shipped with textcrm (inside the wheel, or the checkout's `templates/`)."""
    dirs = []
    if root is not None and (root / "templates").is_dir():
        dirs.append(root / "templates")
    dirs.append(packaged_templates())
    return dirs


@functools.cache
def packaged_templates() -> Path:
    """The default templates: `textcrm/templates` in an installed wheel, else the checkout's."""
    shipped = Path(str(resources.files("textcrm") / "templates"))
    if shipped.is_dir():
        return shipped
    return Path(__file__).resolve().parents[2] / "templates"


@functools.cache
def _markdown() -> markdown_lib.Markdown:
    # One converter per process, reset between texts: building a new one (loading the
    # extensions) costs more than converting a typical note. Rendering is single-threaded.
    md = markdown_lib.Markdown(extensions=["extra", "sane_lists"], output_format="html")
    for processor in md.inlinePatterns:
        if isinstance(processor, LinkInlineProcessor):
            processor.getText = functools.partial(_link_text, processor.getText)
    return md


_BRACKET = re.compile(r"[\[\]]")


@functools.lru_cache(maxsize=4)
def _closing_brackets(data: str) -> dict[int, int]:
    """The position of the `]` that closes each `[` of `data` (unclosed ones are absent)."""
    closing: dict[int, int] = {}
    opened: list[int] = []
    for m in _BRACKET.finditer(data):
        if m[0] == "[":
            opened.append(m.start())
        elif opened:
            closing[opened.pop()] = m.start()
    return closing


def _link_text(scan: Callable[[str, int], tuple[str, int, bool]], data: str, index: int) -> Any:
    """Python-Markdown's `getText` (the text of `[...]` after the `[` at index - 1), from
    one bracket matching of the text instead of a scan to its end for every `[`: the same
    answer, but linear where the scan made a note full of `[` take minutes to render."""
    if index == 0 or data[index - 1] != "[":
        return scan(data, index)
    close = _closing_brackets(data).get(index - 1)
    if close is None:
        return data[index:], len(data), False
    return data[index:close], close + 1, True


def markdown_to_html(text: str) -> str:
    """Render Markdown notes to sanitized HTML: no script, no event handlers, no javascript:.
    Notes too costly for Python-Markdown (`notes.too_complex`) become escaped plain text."""
    if notes.too_complex(text) is not None:
        return notes.plain_html(text)
    html = _markdown().reset().convert(text)
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


def money_filter(value: Decimal | None, currency: str, locale: str = "en_US") -> str:
    if value is None:
        return ""
    return format_money(value, currency, locale)


def percent_filter(value: Decimal | None) -> str:
    return "" if value is None else f"{plain(value)}%"


def date_filter(value: date | None, fmt: str = "iso") -> str:
    if value is None:
        return ""
    if fmt == "iso":
        return value.isoformat()
    if fmt == "short":
        return f"{value:%b} {value.day}"
    if fmt == "long":
        return f"{value:%B} {value.day}, {value.year}"
    return value.strftime(fmt)


def number_filter(value: Decimal | int | None, locale: str = "en_US") -> str:
    if value is None:
        return ""
    return format_number(Decimal(value), locale)


FILTERS: dict[str, Any] = {
    "money": money_filter,
    "percent": percent_filter,
    "date": date_filter,
    "number": number_filter,
    "plain": lambda v: "" if v is None else plain(v),
    "counted": counted,  # {{ n|counted("deal") }} -> `1 deal`, `2 deals`
}


def environment(root: Path | None, extra_dirs: list[Path] | None = None) -> jinja2.Environment:
    """A Jinja2 environment with autoescaping on, strict undefined values, and our filters."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([*(extra_dirs or []), *template_dirs(root)]),
        autoescape=jinja2.select_autoescape(["html", "htm", "xml", "svg"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    env.filters["markdown"] = lambda text: jinja2.utils.markupsafe.Markup(markdown_to_html(text))
    return env


def markup(html: str) -> Any:
    """Mark already-safe HTML (sanitized Markdown) so autoescaping leaves it as it is."""
    return jinja2.utils.markupsafe.Markup(html)


# What a template can raise (a broken override in the CRM's own templates/), so that callers
# report it as a user problem without importing jinja2 themselves.
TemplateError = jinja2.TemplateError
TemplateSyntaxError = jinja2.TemplateSyntaxError


def render(env: jinja2.Environment, name: str, **context: Any) -> str:
    """Render a template by name with a documented view model."""
    return env.get_template(name).render(**context)


def render_string(source: str, **context: Any) -> str:
    """Render a template given as text (for new-record templates), autoescape off."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters.update(FILTERS)
    return env.from_string(source).render(**context)
