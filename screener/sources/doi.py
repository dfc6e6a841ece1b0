"""Look DOIs up: Crossref `/works/{doi}` first, then doi.org content negotiation.

doi.org forwards a request with `Accept: application/vnd.citationstyles.csl+json` to the
DOI's registration agency (Crossref, DataCite, mEDRA, ...), which answers CSL-JSON, so
DOIs Crossref does not hold are found too. Unknown and malformed DOIs are not errors
here: they come back as a `DoiLookup` with a `problem` the user can read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from screener.http import HttpClient
from screener.models import Record
from screener.normalize import normalize_doi
from screener.sources.crossref import DOI_SAFE, CrossrefClient, HeaderRate
from screener.sources.crossref_map import record_from_crossref
from screener.textsafe import clean_line

DEFAULT_URL = "https://doi.org/"
CSL_JSON = "application/vnd.citationstyles.csl+json"
NOT_FOUND = "DOI not found"
NOT_A_DOI = "not a valid DOI"
_AGENCIES = ("crossref", "datacite", "medra", "airiti", "cnki", "kisti", "jalc", "istic", "op")


@dataclass(frozen=True)
class DoiLookup:
    """What a lookup found: the record (or None) and, if none, the problem in words."""

    doi: str  # normalized when valid, else as given
    record: Record | None
    problem: str = ""  # "" | "DOI not found" | "not a valid DOI" | another short reason
    agency: str = ""  # "crossref", "datacite", ... ("" when nothing was found)


class DoiResolver:
    """Resolve DOIs to records: Crossref's own metadata, else the registration agency's."""

    def __init__(self, http_doi_org: HttpClient, crossref: CrossrefClient) -> None:
        self.http = http_doi_org
        # doi.org's answer is a redirect to the registration agency, on another host; its
        # GETs carry no credentials (no e-mail, no key), so following them sends none.
        http_doi_org.redirects_to_other_hosts = True
        self.crossref = crossref
        self.rate = HeaderRate(http_doi_org.limiter).attach(http_doi_org)

    def lookup(self, doi: str) -> DoiLookup:
        key = normalize_doi(doi)
        if not key:
            return DoiLookup(doi=doi.strip(), record=None, problem=NOT_A_DOI)
        record = self.crossref.work(key)
        if record is not None:
            return DoiLookup(doi=key, record=record, agency="crossref")
        return self._negotiate(key)

    def lookup_many(self, dois: Iterable[str]) -> Iterator[DoiLookup]:
        """One lookup per DOI given, in order; a DOI repeated is looked up once."""
        done: dict[str, DoiLookup] = {}
        for doi in dois:
            key = normalize_doi(doi) or doi.strip()
            if key not in done:
                done[key] = self.lookup(doi)
            yield done[key]

    def _negotiate(self, doi: str) -> DoiLookup:
        response = self.http.request(
            "GET",
            quote(doi, safe=DOI_SAFE),
            headers={"Accept": CSL_JSON},
            ok_statuses=(400, 404, 406, 410),
        )
        if response.status_code == 400:
            return DoiLookup(doi=doi, record=None, problem=NOT_A_DOI)
        if response.status_code in (404, 410):
            return DoiLookup(doi=doi, record=None, problem=NOT_FOUND)
        agency = self._agency(response.url)
        try:
            data = json.loads(response.content)
        except ValueError:
            data = None
        if response.status_code == 406 or not isinstance(data, dict):
            kind = clean_line(response.headers.get("content-type", ""))[:80] or "no content type"
            problem = f"{agency or 'the registration agency'} gave no CSL-JSON ({kind})"
            return DoiLookup(doi=doi, record=None, problem=problem, agency=agency)
        if not data.get("DOI"):
            data = {**data, "DOI": doi}
        return DoiLookup(doi=doi, record=record_from_crossref(data, source="doi"), agency=agency)

    def _agency(self, final_url: str) -> str:
        """Which registration agency answered, judged by where doi.org sent us."""
        if final_url.startswith(self.crossref.http.base_url):
            return "crossref"
        host = (urlsplit(final_url).hostname or "").lower()
        labels = host.split(".")
        if "crosscite" in labels:  # DataCite's content-negotiation service
            return "datacite"
        return next((name for name in _AGENCIES if name in labels), clean_line(host))
