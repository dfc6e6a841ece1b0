"""A synthetic stress set: the real labelled records plus corrupted copies (and traps).

Nothing is written to disk: `build_stress(records, gold, seed)` returns new records, the
new gold groups and, for every added record, the corruption it carries.

For each true duplicate group of a real set, one member is copied and ONE corruption kind
(chosen at random, seeded, among the kinds that apply to that record) is applied to the
copy, which joins the group. The copy loses its DOI/PMID/PMCID (except for the DOI
kinds), so the corruption is tested without an identifier to lean on. The corruption
kinds are the patterns of misses seen on exports the engine had never seen (issue 10):

  volume-garbled    volume cut or swapped with the issue: "1)", "1", the issue number
  pages-supplement  a supplement marker instead of the range: "Suppl-23"
  pages-fragment    a letter-and-digits fragment instead of the range: "A12"
  pages-end-only    only the last page of the range: "1240"
  pages-empty       pages missing
  journal-suffix    "Circulation" -> "Circulation. Conference: American Heart ..."
  journal-variant   "&" <-> "and", leading "The" added or dropped, punctuation
  journal-abbrev    the ISO4-style abbreviation of the journal name
  title-char-initials  a character lost in a gene/chemical-like token (digit, bracket,
                    hyphen) AND author initials shortened (three -> two, two -> one)
  doi-one-copy      the copy has a DOI the original lacks (or the other way round)
  doi-supplement    both carry one meeting-supplement DOI shared by 10 other records
  title-truncated   title cut at a fixed field length (100/120/150/200 characters)

Traps (added as unique records, never duplicates: any merge is a false merge), built from
a member of a group: an erratum notice, a reply, a protocol, "Part 2", the same title
two years later with another DOI, and the same title and authors at other well-formed
pages of another volume.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from screener.dedup import DedupRecord

Corruption = Callable[[DedupRecord, random.Random], DedupRecord | None]

_MEETINGS = (
    "American Heart Association Scientific Sessions 2014. Chicago, IL United States",
    "Experimental Biology 2016. San Diego, CA United States",
    "American Thoracic Society International Conference, ATS 2012",
    "55th Annual Meeting of the American Society of Hematology, ASH 2013",
    "European Stroke Conference 2010. Barcelona Spain",
)
_ISO4 = {
    "journal": "J",
    "american": "Am",
    "british": "Br",
    "european": "Eur",
    "international": "Int",
    "medicine": "Med",
    "medical": "Med",
    "clinical": "Clin",
    "research": "Res",
    "respiratory": "Respir",
    "critical": "Crit",
    "care": "Care",
    "society": "Soc",
    "association": "Assoc",
    "haematology": "Haematol",
    "hematology": "Hematol",
    "information": "Inf",
    "systems": "Syst",
    "management": "Manage",
    "technology": "Technol",
    "science": "Sci",
    "sciences": "Sci",
    "review": "Rev",
    "reviews": "Rev",
    "annals": "Ann",
    "archives": "Arch",
    "surgery": "Surg",
    "thoracic": "Thorac",
    "cardiology": "Cardiol",
    "neurology": "Neurol",
    "pediatrics": "Pediatr",
    "paediatrics": "Paediatr",
    "proceedings": "Proc",
    "quarterly": "Q",
    "computer": "Comput",
    "computing": "Comput",
    "behavior": "Behav",
    "human": "Hum",
    "psychology": "Psychol",
    "organizational": "Organ",
    "new": "N",
    "england": "Engl",
}
_STOP = {"of", "the", "and", "for", "in", "on", "&"}


def iso4_like(journal: str) -> str:
    """An ISO4-style abbreviation: stop words dropped, known words abbreviated, others
    cut after a consonant (a generic rule, not the engine's table)."""
    out = []
    for word in re.split(r"[\s.,:]+", journal):
        low = word.lower()
        if not word or low in _STOP:
            continue
        if low in _ISO4:
            out.append(_ISO4[low])
        elif len(word) > 7:
            cut = 5
            while cut < len(word) - 1 and word[cut - 1].lower() in "aeiou":
                cut += 1
            out.append(word[:cut])
        else:
            out.append(word)
    return " ".join(out)


def _pages_range(r: DedupRecord) -> tuple[str, str] | None:
    m = re.match(r"^\s*[A-Za-z]?(\d+)\s*-+\s*[A-Za-z]?(\d+)\s*$", r.pages or "")
    return (m.group(1), m.group(2)) if m else None


def volume_garbled(r: DedupRecord, rng: random.Random) -> DedupRecord | None:
    """ "1)" (cut), volume and issue swapped, or, in a meeting-supplement record (the
    journal named "<Journal>. Conference: <meeting>"), the supplement number as volume."""
    volume = (r.volume or "").strip()
    if not volume.isdigit() or len(volume) < 2:
        return None
    issue = (r.issue or "").strip()
    choice = rng.randrange(3)
    if choice == 0:
        return replace(r, volume=volume[:1] + ")")
    if choice == 1 and issue.isdigit() and issue != volume:
        return replace(r, volume=issue, issue=volume)
    if not r.journal:
        return None
    meeting = f"{r.journal.rstrip('.')}. Conference: {rng.choice(_MEETINGS)}"
    return replace(r, volume=rng.choice(("1", "2")), journal=meeting)


def pages_supplement(r: DedupRecord, rng: random.Random) -> DedupRecord | None:
    if not _pages_range(r) and not (r.pages or "").strip():
        return None
    return replace(r, pages=f"Suppl-{rng.randint(1, 99)}")


def pages_fragment(r: DedupRecord, rng: random.Random) -> DedupRecord | None:
    if not (r.pages or "").strip():
        return None
    return replace(r, pages=f"{rng.choice('ABCDEPT')}{rng.randint(1, 99)}")


def pages_end_only(r: DedupRecord, rng: random.Random) -> DedupRecord | None:
    found = _pages_range(r)
    if not found or found[0] == found[1]:
        return None
    return replace(r, pages=found[1])


def pages_empty(r: DedupRecord, rng: random.Random) -> DedupRecord | None:
    return replace(r, pages="") if (r.pages or "").strip() else None


def journal_suffix(r: DedupRecord, rng: random.Random) -> DedupRecord | None:
    if not r.journal:
        return None
    return replace(r, journal=f"{r.journal.rstrip('.')}. Conference: {rng.choice(_MEETINGS)}")


def journal_variant(r: DedupRecord, rng: random.Random) -> DedupRecord | None:
    j = r.journal
    if not j:
        return None
    if " & " in j:
        return replace(r, journal=j.replace(" & ", " and "))
    if " and " in j.lower():
        return replace(r, journal=re.sub(r"\s+and\s+", " & ", j, flags=re.I))
    if j.lower().startswith("the "):
        return replace(r, journal=j[4:])
    return replace(r, journal=rng.choice((f"The {j}", f"{j}.", j.replace(" ", ". ", 1))))


def journal_abbrev(r: DedupRecord, rng: random.Random) -> DedupRecord | None:
    if not r.journal or len(r.journal.split()) < 2:
        return None
    short = iso4_like(r.journal)
    return replace(r, journal=short) if short and short != r.journal else None


_CHEMICAL = re.compile(r"\S*(?:\d|[\[\]()-])\S*")


def title_char_initials(r: DedupRecord, rng: random.Random) -> DedupRecord | None:
    if not r.title or not r.authors:
        return None
    tokens = [m for m in _CHEMICAL.finditer(r.title) if re.search(r"[A-Za-z]", m.group(0))]
    if tokens:
        m = rng.choice(tokens)
        token = m.group(0)
        spots = [i for i, ch in enumerate(token) if ch.isdigit() or ch in "[]()-"]
        i = rng.choice(spots)
        title = r.title[: m.start() + i] + r.title[m.start() + i + 1 :]
    else:
        words = [m for m in re.finditer(r"[A-Za-z]{6,}", r.title)]
        if not words:
            return None
        m = rng.choice(words)
        i = m.start() + rng.randrange(1, len(m.group(0)) - 1)
        title = r.title[:i] + r.title[i + 1 :]
    return replace(r, title=title, authors=tuple(_fewer_initials(a) for a in r.authors))


def _fewer_initials(name: str) -> str:
    """ "Smith, John A. B." -> "Smith, J. A."; "Smith JAB" -> "Smith JA"."""
    if "," in name:
        last, _, first = name.partition(",")
        letters = [p[0].upper() for p in re.split(r"[\s.\-]+", first.strip()) if p]
        keep = letters[: max(1, len(letters) - 1)]
        return f"{last.strip()}, " + " ".join(f"{c}." for c in keep) if keep else last.strip()
    parts = name.split()
    if len(parts) > 1 and parts[-1].isupper() and len(parts[-1]) > 1:
        return " ".join(parts[:-1] + [parts[-1][:-1]])
    return name


def doi_one_copy(r: DedupRecord, rng: random.Random) -> DedupRecord | None:
    # `r` is the original without identifiers: the copy has a DOI only if the original
    # has none (else the original keeps its DOI and the copy has none)
    return r if r.source.startswith("had-doi") else replace(r, doi=f"10.7777/one.{r.id}")


def title_truncated(r: DedupRecord, rng: random.Random) -> DedupRecord | None:
    fits = [n for n in (100, 120, 150, 200) if len(r.title) > n + 15]
    if not fits:
        return None
    return replace(r, title=r.title[: rng.choice(fits)])


CORRUPTIONS: dict[str, Corruption] = {
    "volume-garbled": volume_garbled,
    "pages-supplement": pages_supplement,
    "pages-fragment": pages_fragment,
    "pages-end-only": pages_end_only,
    "pages-empty": pages_empty,
    "journal-suffix": journal_suffix,
    "journal-variant": journal_variant,
    "journal-abbrev": journal_abbrev,
    "title-char-initials": title_char_initials,
    "doi-one-copy": doi_one_copy,
    "doi-supplement": lambda r, rng: r,  # the DOI is set for the whole family below
    "title-truncated": title_truncated,
}


# --------------------------------------------------------------------------- traps


def _trap_erratum(r: DedupRecord, rng: random.Random) -> DedupRecord:
    return replace(r, title=f"Erratum: {r.title}", pages=str(rng.randint(2000, 2999)))


def _trap_reply(r: DedupRecord, rng: random.Random) -> DedupRecord:
    return replace(r, title=f"{r.title.rstrip('.')} - Reply", pages=str(rng.randint(3000, 3999)))


def _trap_protocol(r: DedupRecord, rng: random.Random) -> DedupRecord:
    year = (r.year or 2010) - 2
    return replace(r, title=f"{r.title.rstrip('.')}: study protocol", year=year, volume="")


def _trap_part(r: DedupRecord, rng: random.Random) -> DedupRecord:
    start = rng.randint(4000, 4999)
    return replace(r, title=f"{r.title.rstrip('.')}. Part 2", pages=f"{start}-{start + 9}")


def _trap_year_doi(r: DedupRecord, rng: random.Random) -> DedupRecord:
    year = (r.year or 2010) + 2
    return replace(r, year=year, doi=f"10.7777/later.{r.id}", volume="", pages="")


def _trap_other_pages(r: DedupRecord, rng: random.Random) -> DedupRecord:
    # another article of the same issue (only built when every member of the group has a
    # well-formed volume and page range: against a record without pages it is ambiguous)
    start = rng.randint(5000, 5999)
    return replace(r, pages=f"{start}-{start + 7}")


TRAPS: dict[str, Callable[[DedupRecord, random.Random], DedupRecord]] = {
    "trap-erratum": _trap_erratum,
    "trap-reply": _trap_reply,
    "trap-protocol": _trap_protocol,
    "trap-part": _trap_part,
    "trap-year-doi": _trap_year_doi,
    "trap-other-pages": _trap_other_pages,
}


def _without_ids(r: DedupRecord) -> DedupRecord:
    return replace(r, doi="", pmid="", pmcid="", source="had-doi" if r.doi else "")


def build_stress(
    records: Sequence[DedupRecord], gold: Sequence[Sequence[int]], seed: int = 11
) -> tuple[list[DedupRecord], list[list[int]], dict[int, str]]:
    """`records` (ids = positions) plus one corrupted copy per gold group and a trap for
    every third group; returns (records, gold groups, {added id: kind})."""
    rng = random.Random(seed)
    out = list(records)
    groups = [list(g) for g in gold]
    kinds: dict[int, str] = {}
    by_id = {r.id: r for r in records}
    names = list(CORRUPTIONS)
    for g_index, group in enumerate(groups):
        source = by_id[rng.choice(sorted(group))]
        if not source.title:
            continue
        bare = _without_ids(source)
        if any(by_id[m].doi for m in group):  # "a DOI in one copy only": not a second DOI
            bare = replace(bare, source="had-doi")
        for name in rng.sample(names, len(names)):
            copy = CORRUPTIONS[name](bare, rng)
            if copy is not None:
                break
        else:
            continue
        copy = replace(copy, id=len(out), source=f"stress-{name}")
        if name == "doi-supplement":
            supplement = f"10.7777/suppl.{g_index}"
            out[source.id] = replace(source, doi=supplement)
            copy = replace(copy, doi=supplement)
            # the same supplement DOI on ten other (unrelated) records of the set
            for other in rng.sample(range(len(records)), 10):
                if other not in group and not out[other].doi:
                    out[other] = replace(out[other], doi=supplement)
        out.append(copy)
        group.append(copy.id)
        kinds[copy.id] = name
        if g_index % 3 == 0:
            trap_name = rng.choice(list(TRAPS))
            located = all(
                by_id[m].volume.strip().isdigit() and _pages_range(by_id[m]) for m in group[:-1]
            )
            if trap_name == "trap-other-pages" and not located:
                trap_name = "trap-erratum"
            trap = TRAPS[trap_name](_without_ids(source), rng)
            trap = replace(trap, id=len(out), source=f"stress-{trap_name}")
            out.append(trap)
            kinds[trap.id] = trap_name
    return out, groups, kinds
