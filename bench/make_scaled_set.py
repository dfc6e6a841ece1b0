"""Build a large labelled dedup set at run time from the real benchmark records.

Nothing is written to disk: `build_scaled(n, base)` returns records and the true groups.

Works: one representative of every true group and every unique record of the real sets
("base works"), plus synthetic works made by splicing real records ("chimeras": a real
title with about half of its content words swapped for words of other titles, the authors
of another record, the venue/year/volume of a third with other pages, a synthetic DOI for
most). About a quarter of the
works get 1-3 duplicate copies, each with 2-4 realistic perturbations: case changes,
punctuation, dropped abstract/DOI/journal, abbreviated journal, author initials or first
author only, online-first version (year - 1, no volume/issue, e-pages), a "[Chinese]"
style suffix, a bracketed translation marker, HTML tags, a typo, "221-8" page style,
DOI as URL. The truth is which copy came from which work.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import replace

from screener.dedup import DedupRecord

_STOP = {"of", "the", "and", "for", "in", "on", "de", "la", "&", "y", "et", "fur"}
_LANGS = ["Chinese", "German", "French", "Spanish", "Japanese", "Russian", "Polish"]


def _abbreviate_journal(journal: str, rng: random.Random) -> str:
    words = [w for w in re.split(r"[\s.]+", journal) if w and w.lower() not in _STOP]
    out = []
    for w in words:
        if w.lower() == "journal":
            out.append("J")
        elif len(w) > 5:
            out.append(w[: rng.choice((3, 4, 5))])
        else:
            out.append(w)
    return " ".join(out)


def _initials(name: str, style: int) -> str:
    if "," in name:
        last, _, first = name.partition(",")
    else:
        parts = name.split()
        last, first = (parts[-1], " ".join(parts[:-1])) if len(parts) > 1 else (name, "")
    letters = [p[0].upper() for p in re.split(r"[\s.\-]+", first.strip()) if p]
    last = last.strip()
    if style == 0:
        return f"{last}, " + " ".join(f"{c}." for c in letters) if letters else last
    if style == 1:
        return f"{last} {''.join(letters)}".strip()
    return (" ".join(f"{c}." for c in letters) + " " + last).strip()


def _typo(text: str, rng: random.Random) -> str:
    if len(text) < 20:
        return text
    i = rng.randrange(5, len(text) - 5)
    op = rng.randrange(3)
    if op == 0:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if op == 1:
        return text[:i] + text[i + 1 :]
    return text[:i] + rng.choice("aeiourstn") + text[i:]


def _short_pages(pages: str) -> str:
    m = re.match(r"^\s*(\d+)\s*-+\s*(\d+)\s*$", pages)
    if not m or len(m.group(1)) != len(m.group(2)):
        return pages
    start, end = m.group(1), m.group(2)
    k = 0
    while k < len(start) - 1 and start[k] == end[k]:
        k += 1
    return f"{start}-{end[k:]}"


def perturb(record: DedupRecord, rng: random.Random, new_id: int) -> DedupRecord:
    """A copy of `record` as another database would give it."""
    r = replace(record, id=new_id, source=f"copy-of-{record.id}")
    ops = rng.sample(range(14), rng.randint(2, 4))
    if 6 in ops:  # a language tag comes last: "[Title]. [Chinese]"
        ops.remove(6)
        ops.append(6)
    for op in ops:
        if op == 0 and r.title:
            r = replace(r, title=rng.choice((r.title.upper(), r.title.lower(), r.title.title())))
        elif op == 1 and r.title:
            t = r.title.replace(": ", " - ") if ": " in r.title else r.title.rstrip(".") + "."
            r = replace(r, title=t)
        elif op == 2:
            r = replace(r, abstract="")
        elif op == 3 and r.journal:
            r = replace(r, journal=_abbreviate_journal(r.journal, rng))
        elif op == 4 and r.authors:
            style = rng.randrange(3)
            r = replace(r, authors=tuple(_initials(a, style) for a in r.authors))
        elif op == 5 and r.year and r.volume:
            # online-first version: a year earlier, no volume/issue, article pages
            pages = rng.choice(("", f"1-{rng.randint(4, 30)}"))
            r = replace(r, year=r.year - 1, volume="", issue="", pages=pages)
        elif op == 6 and r.title:
            r = replace(r, title=f"{r.title.rstrip('.')}. [{rng.choice(_LANGS)}]")
        elif op == 7 and r.title and not r.title.lstrip("\"'").startswith("["):
            r = replace(r, title=f"[{r.title.rstrip('.')}]")
        elif op == 8 and r.title:
            words = r.title.split()
            k = rng.randrange(len(words))
            words[k] = f"<i>{words[k]}</i>"
            r = replace(r, title=" ".join(words))
        elif op == 9 and r.title:
            r = replace(r, title=_typo(r.title, rng))
        elif op == 10 and r.pages:
            r = replace(r, pages=_short_pages(r.pages))
        elif op == 11 and r.doi:
            r = replace(r, doi=rng.choice(("", f"https://doi.org/{r.doi.upper()}")))
        elif op == 12 and len(r.authors) > 1:
            r = replace(r, authors=r.authors[:1])
        elif op == 13 and r.journal and (r.volume or r.pages):
            r = replace(r, journal="")
    return r


def _chimera(
    seeds: Sequence[DedupRecord],
    vocabulary: Sequence[str],
    rng: random.Random,
    new_id: int,
    k: int,
) -> DedupRecord:
    """A new distinct work: a real title with about half of its content words replaced
    by words of other titles, the authors of another record and the venue/year/volume
    of a third one with other pages."""
    a, c, d = (rng.choice(seeds) for _ in range(3))
    words = a.title.split()
    for i, w in enumerate(words):
        if len(w) >= 4 and rng.random() < 0.5:
            words[i] = rng.choice(vocabulary)
    title = " ".join(words)
    pages = d.pages
    m = re.match(r"^\s*(\d+)\s*-+\s*(\d+)", pages or "")
    start = rng.randint(1, 2000)
    if m and start == int(m.group(1)):
        start += 1  # another article of the issue, not the seed's own pages
    if m:
        length = max(0, int(m.group(2)) - int(m.group(1)))
        pages = f"{start}-{start + length}"
    elif pages:
        pages = str(start)
    return DedupRecord(
        id=new_id,
        title=title,
        authors=c.authors,
        year=d.year,
        journal=d.journal,
        volume=d.volume,
        issue=d.issue,
        pages=pages,
        doi=f"10.5555/scaled.{k}" if rng.random() < 0.6 else "",
        pmid="",
        pmcid="",
        entry_type=d.entry_type,
        abstract=a.abstract if rng.random() < 0.3 else "",
        booktitle=d.booktitle,
        source="chimera",
    )


def build_scaled(
    n: int, base: Sequence[tuple[list[DedupRecord], list[list[int]]]], seed: int = 7
) -> tuple[list[DedupRecord], list[list[int]]]:
    """About `n` records (ids 0..n-1) and their true duplicate groups (lists of ids).

    `base` is a list of (records, gold groups as lists of record ids) of the real sets.
    """
    rng = random.Random(seed)
    works: list[DedupRecord] = []
    for records, groups in base:
        in_group = {i for g in groups for i in g}
        by_id = {r.id: r for r in records}
        for g in groups:
            works.append(by_id[min(g)])
        works.extend(r for r in records if r.id not in in_group)
    works = [w for w in works if w.title]
    seeds = [w for w in works if len(w.title.split()) >= 6 and w.authors]
    vocabulary = [w for s in seeds for w in s.title.split() if len(w) >= 4 and w.isalpha()]
    rng.shuffle(works)
    dup_share, mean_copies = 0.25, 2.0
    n_works = max(1, int(n / (1 + dup_share * mean_copies)))
    chosen = works[:n_works]
    k = 0
    while len(chosen) < n_works:
        chosen.append(_chimera(seeds, vocabulary, rng, -1, k))
        k += 1
    records: list[DedupRecord] = []
    groups: list[list[int]] = []
    for work in chosen:
        if len(records) >= n:
            break
        original = replace(work, id=len(records))
        records.append(original)
        if rng.random() < dup_share:
            group = [original.id]
            for _ in range(rng.randint(1, 3)):
                if len(records) >= n:
                    break
                copy = perturb(original, rng, len(records))
                records.append(copy)
                group.append(copy.id)
            if len(group) > 1:
                groups.append(group)
    # shuffle record order (ids stay attached) so copies are not adjacent
    rng.shuffle(records)
    return records, groups
