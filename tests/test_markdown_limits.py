"""Markdown notes that would make Python-Markdown slow or crash: shown as plain text, reported.

Each pathological input is rendered and its output asserted (escaped text present, or the
same HTML as Python-Markdown's own); timings are in docs/performance.md, never asserted.
"""

from __future__ import annotations

import html
import re

import markdown
import pytest

from conftest import GOOD_OPPORTUNITY, TODAY
from textcrm import notes
from textcrm.render import markdown_to_html

KB8, KB100 = 8 * 1024, 100 * 1024


def repeat(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


# The inputs Python-Markdown 3.x is quadratic (or worse) on, in one paragraph.
PATHOLOGICAL = ["[", "*", "_", "`", "<", "[x](", "![", "[^", "*[", "<a ", "<http://", "=\n", "[]("]


@pytest.mark.parametrize("size", [KB8, KB100])
@pytest.mark.parametrize("unit", PATHOLOGICAL)
def test_pathological_paragraph_is_plain_escaped_text(unit: str, size: int) -> None:
    text = repeat(unit, size)
    found = notes.too_complex(text)
    assert found is not None
    assert found.message.startswith("notes too complex to render as Markdown: ")
    expected = "".join(
        '<p class="notes-plain">' + html.escape(p.strip("\n")).replace("\n", "<br>\n") + "</p>\n"
        for p in [text]
        if p.strip()
    )
    assert markdown_to_html(text) == expected
    if unit == "<":
        assert markdown_to_html(text).count("&lt;") == size


@pytest.mark.parametrize(
    "text",
    [
        "".join("    " * i + "- item\n" for i in range(300)),
        "".join(">" * i + " quote\n" for i in range(1, 300)),
        "> " * 600 + "deep\n",
        "- " * 600 + "deep\n",
        "1. " * 400 + "deep\n",
    ],
    ids=["indented-lists", "quote-lines", "quote-line", "list-line", "ordered-line"],
)
def test_deep_nesting_is_plain_text_not_a_recursion_error(text: str) -> None:
    found = notes.too_complex(text)
    assert found is not None and found.depth > notes.MAX_NESTING
    assert "nested" in found.message
    out = markdown_to_html(text)
    assert out.startswith('<p class="notes-plain">') and out.endswith("</p>\n")
    lines = re.sub(r"</?p[^>]*>", "", out).rstrip("\n").split("<br>\n")
    assert [html.unescape(line) for line in lines] == text.rstrip("\n").split("\n")


def test_nesting_within_the_bound_still_renders() -> None:
    text = "".join("    " * i + "- level\n" for i in range(10))
    assert notes.too_complex(text) is None
    assert markdown_to_html(text).count("<ul>") == 10


def test_angle_brackets_across_paragraphs_are_bounded_for_the_whole_note() -> None:
    # Raw HTML is parsed over the whole note: short paragraphs do not make it cheap.
    text = "\n\n".join([repeat("<a ", 600)] * 20)
    assert all(notes.too_complex(p) is None for p in text.split("\n\n"))
    assert notes.too_complex(text) is not None
    assert markdown_to_html(text).startswith('<p class="notes-plain">&lt;a &lt;a ')


def test_ordinary_long_notes_render_as_markdown() -> None:
    para = (
        "Met [Jane](https://acme.example/jane) about the *pilot*; she wants `SSO` and "
        "a <https://acme.example/rfp> answer by Friday.\n"
    )
    text = "\n".join([para * 12] * 20)  # 20 paragraphs of 12 lines, ~40 KB
    assert notes.too_complex(text) is None
    out = markdown_to_html(text)
    assert out.count('<a href="https://acme.example/jane"') == 240
    assert out.count("<em>pilot</em>") == 240


LINKISH = [
    "[a](b) [c] [d][e] ![f](g) [[h]] [i [j] k](l) ]m[ [n",
    "[x](" * 50 + ")" * 3,
    "[" * 40 + "]" * 20 + "(u)",
    "text [with *emph* [nested](x) and `code [`] ](y) tail [",
    "[ref]\n\n[ref]: https://example.com 'T'\n\n![ref] [ref][] [other][ref]",
    "\\[escaped] [real](x) \\] [ [ ] ]",
    "[a\nb](c) [d\n\ne](f)",
]


@pytest.mark.parametrize("text", LINKISH)
def test_link_text_matching_gives_python_markdowns_own_output(text: str) -> None:
    # The linear bracket matching must not change a single byte of the output.
    import nh3

    from textcrm import render

    stock = markdown.Markdown(extensions=["extra", "sane_lists"], output_format="html")
    expected = nh3.clean(
        stock.convert(text),
        tags=render._ALLOWED_TAGS,
        attributes=render._ALLOWED_ATTRIBUTES,
        url_schemes=render._URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
    assert markdown_to_html(text) == expected


def test_build_shows_the_note_as_text_and_lists_the_problem(make_repo, run) -> None:
    body = "Intro paragraph with a [link](https://example.com).\n\n" + "[" * KB8 + "\n"
    root = make_repo({"opportunities/acme.md": GOOD_OPPORTUNITY.replace("Notes.\n", body)})
    checked = run(["check", "--root", str(root), "--today", TODAY])
    assert checked.exit_code == 0
    assert "opportunities/acme.md:13:1: warning: notes too complex to render as Markdown: " in (
        checked.output
    )
    built = run(["build", "--root", str(root), "--today", TODAY, "--no-cache"])
    assert built.exit_code == 0, built.output
    page = (root / "_site/opportunities/acme.html").read_text(encoding="utf-8")
    # The whole note is plain text, the link's Markdown included: nothing is half-rendered.
    assert '<p class="notes-plain">Intro paragraph with a [link](https://example.com).</p>' in page
    assert '<p class="notes-plain">' + "[" * KB8 + "</p>" in page
    problems = (root / "_site/problems.html").read_text(encoding="utf-8")
    assert "notes-too-complex" in problems
