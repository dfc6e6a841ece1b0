"""Build source clients from options and environment variables (read only here)."""

from __future__ import annotations

import os

from screener.cli.common import warn
from screener.errors import ScreenerError
from screener.http import DEFAULT_DEADLINE, DEFAULT_MAX_BYTES, HttpClient
from screener.sources import crossref, doi, pubmed

_warned_email = False


def _number(name: str, default: str, kind: type = int):
    value = os.environ.get(name, default)
    try:
        return kind(value)
    except ValueError:
        raise ScreenerError(f"{name}={value!r} is not a number.") from None


def _bounds() -> dict:
    """Retry, deadline and size settings shared by every client (environment overrides)."""
    return {
        "max_tries": _number("SCREENER_MAX_TRIES", "5"),
        "backoff": _number("SCREENER_BACKOFF", "2", float),
        "deadline": _number("SCREENER_DEADLINE", str(DEFAULT_DEADLINE), float),
        "max_bytes": _number("SCREENER_MAX_BYTES", str(DEFAULT_MAX_BYTES)),
        "on_retry": _say_retry,
    }


def _say_retry(problem: str, delay: float, attempt: int, tries: int) -> None:
    """Long waits are not silent: say what failed and when the next try comes (short
    ones stay quiet, so a quick recovery prints nothing)."""
    if delay >= 2:
        warn(f"{problem}; retrying in {delay:.0f} s (retry {attempt} of {tries - 1})")


def pubmed_client() -> pubmed.PubmedClient:
    """PubMed client from SCREENER_PUBMED_URL, NCBI_EMAIL and NCBI_API_KEY."""
    global _warned_email
    email = os.environ.get("NCBI_EMAIL", "").strip()
    api_key = os.environ.get("NCBI_API_KEY", "").strip()
    if not email and not _warned_email:
        _warned_email = True
        warn(
            "NCBI_EMAIL is not set; NCBI asks every E-utilities user for a contact e-mail "
            "(export NCBI_EMAIL=you@example.org)."
        )
    http = HttpClient(
        os.environ.get("SCREENER_PUBMED_URL", pubmed.DEFAULT_URL),
        service="PubMed E-utilities",
        rate=10.0 if api_key else 3.0,
        **_bounds(),
    )
    batch = _number("SCREENER_PUBMED_BATCH", "1000")
    processes = _number("SCREENER_PARSE_PROCESSES", str(min(2, os.cpu_count() or 1)))
    return pubmed.PubmedClient(
        http, email=email, api_key=api_key, batch_size=batch, parse_processes=processes
    )


def crossref_client() -> crossref.CrossrefClient:
    """Crossref client from SCREENER_CROSSREF_URL and CROSSREF_MAILTO (polite pool)."""
    mailto = (
        os.environ.get("CROSSREF_MAILTO", "").strip() or os.environ.get("NCBI_EMAIL", "").strip()
    )
    http = HttpClient(
        os.environ.get("SCREENER_CROSSREF_URL", crossref.DEFAULT_URL),
        service="Crossref",
        rate=5.0,  # until Crossref's own x-rate-limit headers say otherwise
        **_bounds(),
    )
    return crossref.CrossrefClient(http, mailto=mailto or None)


def doi_resolver() -> doi.DoiResolver:
    """Crossref first, then doi.org content negotiation (SCREENER_DOI_URL)."""
    http = HttpClient(
        os.environ.get("SCREENER_DOI_URL", doi.DEFAULT_URL),
        service="doi.org",
        rate=5.0,
        **_bounds(),
    )
    return doi.DoiResolver(http, crossref_client())
