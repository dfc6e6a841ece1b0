"""Field normalization for deduplication (re-exports; see the modules for details).

- `screener.dedup.text`: folding, markup;
- `screener.dedup.titles`: titles (notice type, translations, series numbers);
- `screener.dedup.authors`: author names;
- `screener.dedup.venues`: journal and conference names;
- `screener.dedup.locators`: volume, issue, pages, identifiers.

Core modules: pure functions only, no IO.
"""

from screener.dedup.authors import AuthorKey, parse_author, prepare_authors, split_authors
from screener.dedup.locators import (
    PagesInfo,
    doi_work_key,
    normalize_identifiers,
    normalize_issue,
    normalize_volume,
    prepare_pages,
)
from screener.dedup.text import clean_markup, fold, transliterate
from screener.dedup.titles import TitleInfo, prepare_title, title_numbers
from screener.dedup.venues import VenueInfo, prepare_venue, venues_compatible

__all__ = [
    "AuthorKey",
    "PagesInfo",
    "TitleInfo",
    "VenueInfo",
    "clean_markup",
    "doi_work_key",
    "fold",
    "normalize_identifiers",
    "normalize_issue",
    "normalize_volume",
    "parse_author",
    "prepare_authors",
    "prepare_pages",
    "prepare_title",
    "prepare_venue",
    "split_authors",
    "title_numbers",
    "transliterate",
    "venues_compatible",
]
