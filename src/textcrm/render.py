"""Jinja2 environment and template filters; the only importer of jinja2, markdown and nh3.

Templates only lay out values computed in Python; the filters here format them (money with
Babel through `money.format_money`, dates, percentages) and render Markdown notes to HTML that
is sanitized whatever a contributor writes in a file.

Templates are data, not code: a CRM repository's own `templates/` may come from anyone who
can commit to it, so every template (site pages, quotes, new records) renders in Jinja2's
immutable sandbox, where attributes such as `__globals__` and methods that change a value
are refused. A template that tries is a located error (`TemplateFailed`), never a traceback.
"""

from __future__ import annotations

import functools
import re
import types
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
import jinja2.sandbox
import markdown as markdown_lib
import nh3
from markdown.inlinepatterns import LinkInlineProcessor

from textcrm import notes
from textcrm.errors import TextcrmError
from textcrm.layout import (
    TEMPLATES_DIR,
    OutsideRepository,
    packaged_templates,
    resolve_inside,
)
from textcrm.money import format_date, format_money, format_number, plain
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
    "input",  # only as a disabled checkbox (task lists): see _FORCED_ATTRIBUTES
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
    "input": {"checked"},
}
# Whatever a note writes, an <input> leaves as a disabled checkbox: task lists show their
# state, and no text field or button can be planted in a published page.
_FORCED_ATTRIBUTES = {"input": {"type": "checkbox", "disabled": "disabled"}}
_URL_SCHEMES = {"http", "https", "mailto", "tel"}


class _RepositoryTemplates(jinja2.FileSystemLoader):
    """The CRM repository's templates/ overrides, each resolved with `layout.resolve_inside`:
    one that leads outside the repository (a symlink) is skipped, and the shipped template
    of that name is used instead (`textcrm check` reports it)."""

    def __init__(self, root: Path) -> None:
        super().__init__(str(root / TEMPLATES_DIR))
        self.root = root

    def _safe(self, name: str) -> bool:
        try:
            resolve_inside(self.root, f"{TEMPLATES_DIR}/{name}")
        except OutsideRepository:
            return False
        return True

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        if not self._safe(template):
            raise jinja2.TemplateNotFound(template)
        return super().get_source(environment, template)

    def list_templates(self) -> list[str]:
        return [name for name in super().list_templates() if self._safe(name)]


def override(root: Path | None, name: str) -> Path | None:
    """The repository's own templates/NAME when there is one that stays inside the
    repository, else None (the shipped template is used)."""
    if root is None:
        return None
    try:
        path = resolve_inside(root, f"{TEMPLATES_DIR}/{name}")
    except OutsideRepository:
        return None
    return path if path.is_file() else None


@functools.cache
def _markdown() -> markdown_lib.Markdown:
    # One converter per process, reset between texts: building a new one (loading the
    # extensions) costs more than converting a typical note. Rendering is single-threaded.
    # pymdownx.tasklist: `- [ ] step` and `- [x] done` become checkboxes (disabled).
    md = markdown_lib.Markdown(
        extensions=["extra", "sane_lists", "pymdownx.tasklist"], output_format="html"
    )
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


# A checkbox (all that the sanitizer leaves of an <input>, its attributes in no fixed
# order) and the plain text after it.
_CHECKBOX_TEXT = re.compile(r"<input\b([^>]*)>([^<]*)")


def _label_checkboxes(html: str) -> str:
    """Write each task's checkbox in one fixed form, in one <label> with the text after it,
    so that the checkbox is named by its task (an unnamed form control is a serious
    accessibility failure)."""

    def label(m: re.Match[str]) -> str:
        checked = " checked" if "checked" in m[1] else ""
        return f'<label><input type="checkbox" disabled{checked}>{m[2]}</label>'

    return _CHECKBOX_TEXT.sub(label, html)


def markdown_to_html(text: str) -> str:
    """Render Markdown notes to sanitized HTML: no script, no event handlers, no javascript:.
    Notes too costly for Python-Markdown (`notes.too_complex`) become escaped plain text."""
    if notes.too_complex(text) is not None:
        return notes.plain_html(text)
    html = _markdown().reset().convert(text)
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer",
        set_tag_attribute_values=_FORCED_ATTRIBUTES,
    )
    return _label_checkboxes(clean)


_HEADING_TAG = re.compile(r"<(/?)h([1-6])\b")
_TH_TAG = re.compile(r"<th(?=[\s>])")


def demote_headings(html: str) -> str:
    """Shift a note's headings down so that its top level is h3, under the page's h1 and
    the section's h2, keeping the page's heading order. The input is sanitized HTML: a
    literal `<h1` in the text is escaped, so only real tags match."""
    levels = [int(m[2]) for m in _HEADING_TAG.finditer(html)]
    shift = 3 - min(levels) if levels else 0
    if shift <= 0:
        return html
    return _HEADING_TAG.sub(lambda m: f"<{m[1]}h{min(int(m[2]) + shift, 6)}", html)


def section_html(text: str) -> str:
    """A note as a section of a site page: `markdown_to_html`, its headings under the
    section's (`demote_headings`), and its table headers scoped to columns, like the site's
    own tables."""
    if not text.strip():
        return ""
    return _TH_TAG.sub('<th scope="col"', demote_headings(markdown_to_html(text)))


_DATA_TABLE = re.compile(r'<table class="data\b.*?</table>', re.S)
_THEAD = re.compile(r"<thead\b.*?</thead>", re.S)
_ROW = re.compile(r"(<tr\b[^>]*>)(.*?)(</tr>)", re.S)
_CELL = re.compile(r"<(t[hd])\b([^>]*)>", re.S)
_HEAD_CELL = re.compile(r"<th\b([^>]*)>(.*?)</th>", re.S)
_COLSPAN = re.compile(r'colspan="(\d+)"')
_TAG = re.compile(r"<[^>]*>")


def _columns(head: str) -> list[str]:
    """The text of each column heading of a `<thead>` (already escaped), colspans expanded."""
    names: list[str] = []
    for attrs, inner in _HEAD_CELL.findall(head):
        span = _COLSPAN.search(attrs)
        names.extend([" ".join(_TAG.sub("", inner).split())] * int(span[1] if span else 1))
    return names


def _label_row(row: re.Match[str], names: list[str]) -> str:
    column = 0
    out = []
    last = 0
    body = row[2]
    for cell in _CELL.finditer(body):
        attrs = cell[2]
        out.append(body[last : cell.end(2)])
        last = cell.end(2)
        if cell[1] == "td" and "data-label=" not in attrs and column < len(names):
            out.append(f' data-label="{names[column]}"')
        span = _COLSPAN.search(attrs)
        column += int(span[1]) if span else 1
    out.append(body[last:])
    return row[1] + "".join(out) + row[3]


def label_table_cells(html: str) -> str:
    """Give every data cell of a `<table class="data">` its column heading as `data-label`,
    so that on a phone the stylesheet can stack each row as a card of labelled values."""

    def label(table: re.Match[str]) -> str:
        text = table[0]
        head = _THEAD.search(text)
        if head is None:
            return text
        names = _columns(head[0])
        rest = _ROW.sub(lambda r: _label_row(r, names), text[head.end() :])
        return text[: head.end()] + rest

    return _DATA_TABLE.sub(label, html)


def money_filter(value: Decimal | None, currency: str, locale: str = "en_US") -> str:
    if value is None:
        return ""
    return format_money(value, currency, locale)


def percent_filter(value: Decimal | None) -> str:
    return "" if value is None else f"{plain(value)}%"


@jinja2.pass_context
def date_filter(context: Any, value: date | None, fmt: str = "locale") -> str:
    """`{{ d|date }}`: the date for people, in the locale's one format (`money.format_date`:
    `Dec 10, 2026`, `10.12.2026`); `{{ d|date("iso") }}` for machines (`datetime`
    attributes, data for scripts). "long" and "medium" are the locale's format too."""
    if value is None:
        return ""
    if fmt == "iso":
        return value.isoformat()
    if fmt in ("locale", "medium", "long"):
        return format_date(value, _locale_of(context))
    if fmt == "short":
        return f"{value:%b} {value.day}"
    return value.strftime(fmt)


def _locale_of(context: Any) -> str:
    """The locale a template writes in: its quote's, else its site's (textcrm.yaml's)."""
    for name in ("quote", "site"):
        # `context.get(name)`, read from its two scopes directly: a page formats hundreds
        # of dates, and the Context's own lookup was most of the filter's time.
        found = context.vars.get(name, _ABSENT)
        if found is _ABSENT:
            found = context.parent.get(name)
        locale = getattr(found, "locale", None)
        if isinstance(locale, str) and locale:
            return locale
    return "en_US"


_ABSENT = object()


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


class Sandbox(jinja2.sandbox.ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox, remembering its verdict on each (type, attribute name).

    The sandbox's attribute check depends on nothing else (the name, and what kind of object
    it is asked on), and repeating it for every attribute of every page made rendering a
    site about a quarter slower; remembered, the sandbox costs a few percent."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._verdicts: dict[tuple[type, str], bool] = {}

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        key = (type(obj), attr)
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = self._verdicts[key] = super().is_safe_attribute(obj, attr, value)
        return verdict

    def getattr(self, obj: Any, attribute: str) -> Any:
        """`obj.attribute` in a template: the sandbox's answer, with a fast path for an
        attribute already judged safe on this type whose value is not a method (the only
        values the sandbox would wrap, `str.format` and `format_map`, are methods)."""
        if self._verdicts.get((type(obj), attribute)):
            try:
                value = getattr(obj, attribute)
            except AttributeError:
                pass
            else:
                kind = type(value)
                if kind is not types.MethodType and kind is not types.BuiltinMethodType:
                    return value
        return super().getattr(obj, attribute)


def _loader(root: Path | None, extra_dirs: list[Path]) -> jinja2.BaseLoader:
    """Extra folders first, then the repository's overrides (kept inside it), then ours."""
    loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(extra_dirs)] if extra_dirs else []
    if root is not None and (root / TEMPLATES_DIR).is_dir():
        loaders.append(_RepositoryTemplates(root))
    loaders.append(jinja2.FileSystemLoader(packaged_templates()))
    return jinja2.ChoiceLoader(loaders)


def environment(
    root: Path | None,
    extra_dirs: list[Path] | None = None,
    notes: Callable[[str], str] = markdown_to_html,
) -> jinja2.Environment:
    """A sandboxed Jinja2 environment with autoescaping on, strict undefined values, and our
    filters. The `markdown` filter writes a note as `notes` renders it (`markdown_to_html`;
    the site passes its cache of `section_html`)."""
    env = Sandbox(
        loader=_loader(root, extra_dirs or []),
        autoescape=jinja2.select_autoescape(["html", "htm", "xml", "svg"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    env.filters["markdown"] = lambda text: jinja2.utils.markupsafe.Markup(notes(text))
    return env


def markup(html: str) -> Any:
    """Mark already-safe HTML (sanitized Markdown) so autoescaping leaves it as it is."""
    return jinja2.utils.markupsafe.Markup(html)


# What a template can raise (a broken override in the CRM's own templates/), so that callers
# report it as a user problem without importing jinja2 themselves.
TemplateError = jinja2.TemplateError
TemplateSyntaxError = jinja2.TemplateSyntaxError


class TemplateFailed(TextcrmError):
    """A template did not compile, failed while rendering, or did something the sandbox
    refuses; the message names the template file and line. Like a broken textcrm.yaml, it
    stops a site build (exit 2)."""

    exit_code = 2


def describe_error(exc: jinja2.TemplateError, root: Path | None, name: str = "") -> str:
    """`templates/x.html:3: template error: ...`: where a template failed and why.

    The file is shown relative to `root` when it is inside it; `name` stands for a template
    rendered from a string. A runtime error is located by the template frame Jinja2 puts in
    its traceback."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        filename, line, kind = exc.filename or exc.name, exc.lineno, "template syntax error"
    else:
        filename, line, kind = None, None, "template error"
        tb = exc.__traceback__
        while tb is not None:  # the innermost template frame is where it failed
            if "__jinja_exception__" in tb.tb_frame.f_globals:
                filename, line = tb.tb_frame.f_code.co_filename, tb.tb_lineno
            tb = tb.tb_next
    if not filename or filename.startswith("<"):
        filename = name
    elif root is not None and Path(filename).is_relative_to(root):
        filename = Path(filename).relative_to(root).as_posix()
    where = f"{filename}:{line}" if filename and line else filename or "template"
    message = exc.message or str(exc)
    if isinstance(exc, jinja2.TemplateNotFound):  # its message is the bare name, or paths
        message = (
            f"no template {exc.name!r}: a template can extend or include only the "
            "repository's templates/ and textcrm's own"
        )
    if isinstance(exc, jinja2.sandbox.SecurityError):
        message = f"{message.rstrip('.')}; templates are data, not code (see docs/security.md)"
    return f"{where}: {kind}: {message}"


def render(
    env: jinja2.Environment, name: str, context: dict[str, Any], root: Path | None = None
) -> str:
    """Render a template by name with a documented view model; a failure is TemplateFailed
    (its file shown relative to `root`)."""
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateError as exc:
        raise TemplateFailed(describe_error(exc, root, name)) from None


def render_string(source: str, context: dict[str, Any], name: str) -> str:
    """Render a template given as text (for new-record templates), sandboxed, autoescape off;
    a failure is TemplateFailed naming the template `name`."""
    env = Sandbox(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters.update(FILTERS)
    try:
        return env.from_string(source).render(context)
    except jinja2.TemplateError as exc:
        raise TemplateFailed(describe_error(exc, None, name)) from None
