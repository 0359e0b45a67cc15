"""HTML to PDF with WeasyPrint: the only WeasyPrint importer, loaded only when PDF is asked for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textcrm.errors import TextcrmError, UsageError

INSTALL_HINT = "PDF output needs WeasyPrint: pip install 'textcrm[pdf]'"


class PdfUnavailable(UsageError):
    """WeasyPrint (the `pdf` extra) or the system libraries it needs are not installed."""


def _weasyprint() -> Any:
    try:
        import weasyprint
    except ImportError:
        raise PdfUnavailable(INSTALL_HINT) from None
    except OSError as exc:
        # WeasyPrint is installed but cannot load Pango (a system library).
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise PdfUnavailable(
            "PDF output needs WeasyPrint's system libraries (Pango); on Debian or Ubuntu: "
            f"apt-get install libpango-1.0-0 libpangoft2-1.0-0 ({first})"
        ) from None
    return weasyprint


def _offline_fetcher(weasyprint: Any) -> Any:
    """A URL fetcher that resolves only data: URIs: a quote never reaches the network or
    reads other files (the logo is embedded; a Markdown image elsewhere is skipped)."""
    urls = weasyprint.urls
    if hasattr(urls, "URLFetcher"):  # WeasyPrint >= 66
        return urls.URLFetcher(allowed_protocols={"data"})

    def fetch(url: str, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - older API
        if not url.startswith("data:"):
            raise ValueError(f"not fetching {url}: quotes embed their resources")
        return urls.default_url_fetcher(url, *args, **kwargs)

    return fetch


def html_to_pdf(html: str, base: Path | None = None) -> bytes:
    """Render a self-contained HTML document to a tagged PDF (PDF/UA-1) as bytes (print
    CSS: @page, page counters)."""
    weasyprint = _weasyprint()
    try:
        document = weasyprint.HTML(
            string=html,
            base_url=str(base) if base is not None else None,
            url_fetcher=_offline_fetcher(weasyprint),
        )
        # PDF/UA: a tagged PDF (structure tree, reading order) that names its language
        # (from <html lang>) and shows its title (from <title>) in the viewer.
        data: bytes = document.write_pdf(pdf_variant="pdf/ua-1")
    except (ValueError, OSError) as exc:  # pragma: no cover - malformed CSS/HTML is tolerated
        raise TextcrmError(f"PDF rendering failed: {exc}") from None
    return data
