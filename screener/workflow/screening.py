"""Screening use cases: settings, a reviewer's queue, decisions, conflicts, agreement.

Blinding is enforced here and in `screener.screening`, not in the front ends: every
function that returns votes takes the viewer and returns only what they may see.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from screener.errors import BlindingError, ImportFileError, NotFoundError, ScreenerError
from screener.exporters import csv_writer
from screener.merging import merge_group
from screener.models import Record
from screener.screening import (
    STAGES,
    Outcome,
    PairAgreement,
    ReviewSettings,
    Vote,
    agreement,
    outcomes,
    passes_to_full_text,
    pilot_sample,
    visible_votes,
)
from screener.screening.decision_time import parse_decision_time
from screener.screening.history import LateChange, independent_votes
from screener.store import Store
from screener.store.base import now
from screener.textsafe import clean_fields, clean_text

SETTINGS_KEY = "review"
PILOT_KEY = "pilot"
TITLE_ABSTRACT, FULL_TEXT = STAGES
EXPORT_COLUMNS = (
    "record_id",
    "doi",
    "pmid",
    "title",
    "reviewer",
    "stage",
    "decision",
    "reason",
    "note",
    "time",
)


# ---- settings ---------------------------------------------------------------------------


def load_settings(store: Store) -> ReviewSettings:
    text = store.get_setting(SETTINGS_KEY)
    # Cleaned on the way out too: a review set up by an older screener may hold raw bytes.
    return clean_fields(ReviewSettings.from_json(text)) if text else ReviewSettings()


def save_settings(store: Store, settings: ReviewSettings) -> ReviewSettings:
    """Store the settings; names, reasons and terms without control characters."""
    settings = clean_fields(settings)
    store.set_setting(SETTINGS_KEY, settings.to_json())
    return settings


def settings_from_file(store: Store, text: str, path: str, who: str = "") -> ReviewSettings:
    """Read a review.toml and store it in the review (the file is a convenience)."""
    return change_settings(store, ReviewSettings.from_toml_text(text, path), who)


def change_settings(store: Store, new: ReviewSettings, who: str = "") -> ReviewSettings:
    """Store `new` settings if `who` may: anyone sets a review up the first time, but once
    it names adjudicators only one of them changes anything but highlight terms (who
    screens and how conflicts are counted decide what the review reports).

    On a local file this rests on honesty (`--as` is a name, not a login)."""
    if store.get_setting(SETTINGS_KEY) is not None:
        old = load_settings(store)
        display_only = ("include_terms", "exclude_terms")
        same = (
            dataclasses.replace(new, **{name: getattr(old, name) for name in display_only}) == old
        )
        if not same:
            _check_may_steer(old, who, "change who screens or how")
    return save_settings(store, new)


# ---- votes and outcomes -----------------------------------------------------------------


def all_votes(store: Store, stage: str | None = None) -> list[Vote]:
    return list(store.decision_rows(stage))


def stage_outcomes(
    store: Store, stage: str, settings: ReviewSettings, ids: Iterable[int] | None = None
) -> dict[int, Outcome]:
    ids = list(store.canonical_ids() if ids is None else ids)
    resolutions = store.resolution_rows(stage)
    return outcomes(all_votes(store, stage), resolutions, settings, stage, ids)


def stage_ids(store: Store, stage: str, settings: ReviewSettings) -> list[int]:
    """The records screened at a stage: every canonical record at title/abstract; those
    that passed title/abstract (include, or maybe as settings say) at full text."""
    _check_stage(stage)
    ids = store.canonical_ids()
    if stage == TITLE_ABSTRACT:
        return ids
    passed = stage_outcomes(store, TITLE_ABSTRACT, settings, ids)
    return [i for i in ids if passes_to_full_text(passed[i], settings)]


def check_login(login: str | None, person: str) -> str:
    """On a review server you are who you logged in as: --as / --reviewer may only repeat
    that name (the server's row-level security would hide anything else anyway)."""
    person = person.strip()
    if login is not None and person and person != login:
        raise BlindingError(
            f"on this review server you are {login!r} (your database login); --as and "
            f"--reviewer cannot name {person!r}. Log in as them to act as them."
        )
    return person


def check_person(settings: ReviewSettings, person: str, login: str | None = None) -> str:
    """A name given with --as / --reviewer must be one of the review's people (once the
    review lists any): a typo must not become a new reviewer or see what it should not.
    On a server it must also be the login's own name."""
    person = check_login(login, person)
    if not person:
        raise ScreenerError("say who you are: a reviewer's or adjudicator's name.")
    known = (*settings.reviewers, *settings.adjudicators)
    if known and person not in known:
        names = ", ".join(dict.fromkeys(known))
        raise ScreenerError(
            f"{person!r} is not a reviewer or adjudicator of this review ({names}); add "
            f"them with `screener review settings --reviewer {person}` if they should be."
        )
    return person


def check_screener(store: Store, person: str, stage: str, resolve: bool = False) -> str:
    """Who may open the screen at `stage`: a reviewer, or an adjudicator to resolve.
    Checked before the terminal UI starts, so a wrong name is one error line."""
    _check_stage(stage)
    settings = load_settings(store)
    person = check_person(settings, person, store.login)
    if resolve:
        _check_adjudicator(settings, person)
    elif settings.reviewers and person not in settings.reviewers:
        raise ScreenerError(
            f"{person!r} is not a reviewer of this review ({', '.join(settings.reviewers)}); "
            f"add them with `screener review settings --reviewer {person} --as ADJUDICATOR`."
        )
    return person


def _check_stage(stage: str) -> None:
    if stage not in STAGES:
        raise ScreenerError(f"unknown stage {stage!r}: use {' or '.join(STAGES)}.")


# ---- a reviewer's queue -----------------------------------------------------------------


@dataclass(frozen=True)
class RecordView:
    """What a reviewer sees of one record: merged fields of its group, flags, own vote."""

    record_id: int
    record: Record
    group_size: int
    own: Vote | None
    fulltext: str


@dataclass
class ReviewerQueue:
    """One reviewer's pass over a stage. Only their own votes are ever loaded."""

    store: Store
    reviewer: str
    stage: str
    settings: ReviewSettings
    ids: list[int] = field(default_factory=list)
    own: dict[int, Vote] = field(default_factory=dict)
    history: list[tuple[int, Vote | None]] = field(default_factory=list)  # for undo
    group_sizes: dict[int, int] = field(default_factory=dict)
    # Where writes go: None stores each at once on this queue's store; the TUI passes
    # `SaveQueue.submit` so a locked review never blocks a keypress (workflow.saving).
    writer: Callable[[Callable[[Store], None]], None] | None = None
    # Notes of records whose decision was undone: a note belongs to the reviewer's
    # reading of the record, not to the decision, so it waits for the next decision.
    kept_notes: dict[int, str] = field(default_factory=dict)
    # Full-text locations attached in this session (shown before their save lands).
    attached: dict[int, str] = field(default_factory=dict)

    @classmethod
    def open(cls, store: Store, reviewer: str, stage: str, ids: list[int] | None = None):
        reviewer = check_login(store.login, reviewer)
        if not reviewer:
            raise ScreenerError("say who is screening: --reviewer NAME.")
        settings = load_settings(store)
        if settings.reviewers and reviewer not in settings.reviewers:
            known = ", ".join(settings.reviewers)
            raise ScreenerError(
                f"{reviewer!r} is not a reviewer of this review ({known}); add them with "
                f"`screener review settings --reviewer {reviewer} --as ADJUDICATOR`."
            )
        queue = cls(store, reviewer, stage, settings)
        ranked = ids is None and stage == TITLE_ABSTRACT
        if ids is None:
            ids = stage_ids(store, stage, settings)
            pilot = set(current_pilot(store)["ids"])
            if pilot and stage == TITLE_ABSTRACT:  # calibration first: only the sample
                ids = [i for i in ids if i in pilot]
                ranked = False
        queue.own = {v.record_id: v for v in store.decision_rows(stage, reviewer)}
        if ranked:  # the review's order (relevance / random / stored): workflow.ranking
            from screener.workflow.ranking import queue_order

            ids = queue_order(store, reviewer, settings, ids, queue.own)
        queue.ids = ids
        queue.group_sizes = store.group_sizes()
        return queue

    def __len__(self) -> int:
        return len(self.ids)

    def first_undecided(self) -> int:
        return next((i for i, rid in enumerate(self.ids) if rid not in self.own), 0)

    def view(self, index: int) -> RecordView:
        record_id = self.ids[index]
        return RecordView(
            record_id=record_id,
            record=self.merged_record(record_id),
            group_size=self.group_sizes.get(record_id, 1),
            own=self.own.get(record_id),
            fulltext=self.attached.get(record_id) or self.store.fulltext(record_id),
        )

    def merged_record(self, record_id: int) -> Record:
        return group_record(self.store, record_id)[0]

    def decide(self, record_id: int, decision: str, reason: str = "", note: str = "") -> Vote:
        """Validate and commit one decision at once; remembered for undo."""
        reason = self.settings.canonical_reason(reason) if reason else ""
        self.settings.validate_decision(self.stage, decision, reason)
        previous = self.own.get(record_id)
        note = note or (previous.note if previous else "") or self.kept_notes.pop(record_id, "")
        at = now()
        stage, reviewer = self.stage, self.reviewer
        self._write(
            lambda store: store.save_decision(
                record_id, stage, reviewer, decision, reason, note, at
            )
        )
        vote = Vote(record_id, self.stage, self.reviewer, decision, reason, note, at)
        self.history.append((record_id, previous))
        self.own[record_id] = vote
        return vote

    def note(self, record_id: int, text: str) -> None:
        if record_id not in self.own:
            raise ScreenerError("decide on the record first; the note goes with your decision.")
        stage, reviewer = self.stage, self.reviewer
        self._write(lambda store: store.save_note(record_id, stage, reviewer, text))
        old = self.own[record_id]
        self.own[record_id] = Vote(
            old.record_id, old.stage, old.reviewer, old.decision, old.reason, text, old.decided_at
        )

    def undo(self) -> int | None:
        """Take back the last decision of this session; returns its record id.

        The reviewer's current note stays: with the earlier decision, or (when there was
        none) in `kept_notes`, saved with the next decision on that record."""
        if not self.history:
            return None
        record_id, previous = self.history.pop()
        current = self.own.get(record_id)
        note = current.note if current else ""
        stage, reviewer = self.stage, self.reviewer
        if previous is None:
            self._write(lambda store: store.delete_decision(record_id, stage, reviewer))
            self.own.pop(record_id, None)
            if note:
                self.kept_notes[record_id] = note
        else:
            restored = Vote(
                record_id,
                stage,
                reviewer,
                previous.decision,
                previous.reason,
                note,
                previous.decided_at,
            )
            self._write(
                lambda store: store.save_decision(
                    record_id,
                    stage,
                    reviewer,
                    restored.decision,
                    restored.reason,
                    restored.note,
                    restored.decided_at,
                )
            )
            self.own[record_id] = restored
        return record_id

    def attach_fulltext(self, record_id: int, location: str) -> str:
        """Note where a record's full text is (saved like a decision, in order)."""
        location = location.strip()
        if not location:
            raise ScreenerError("give a path or URL of the full text.")
        if record_id not in self.ids:
            raise NotFoundError(f"record {record_id} is not in this queue.")
        reviewer = self.reviewer
        self._write(lambda store: store.save_fulltext(record_id, location, reviewer))
        self.attached[record_id] = location
        return location

    def _write(self, write: Callable[[Store], None]) -> None:
        if self.writer is None:
            write(self.store)
        else:
            self.writer(write)

    def progress(self) -> dict[str, int]:
        """This reviewer's own counts only (blinding: nothing about anyone else)."""
        counts = {
            "total": len(self.ids),
            "done": 0,
            "include": 0,
            "exclude": 0,
            "maybe": 0,
            "not-retrieved": 0,
        }
        ids = set(self.ids)
        for record_id, vote in self.own.items():
            if record_id in ids:
                counts["done"] += 1
                counts[vote.decision] = counts.get(vote.decision, 0) + 1
        return counts

    def search(self, text: str) -> list[int]:
        """Positions in this queue of records matching `text`."""
        hits = set(self.store.search_ids(text))
        return [i for i, rid in enumerate(self.ids) if rid in hits]


def group_record(store: Store, record_id: int) -> tuple[Record, int]:
    """The record merged with its duplicate group (as everyone sees it), and the group size."""
    members = store.group_members(record_id)
    record = store.get_record(record_id)
    if len(members) == 1:
        return record, 1
    return merge_group(record, [store.get_record(m) for m in members[1:]]), len(members)


# ---- conflicts and resolutions ----------------------------------------------------------


@dataclass(frozen=True)
class Conflict:
    record_id: int
    title: str
    votes: tuple[Vote, ...]


def conflicts(store: Store, stage: str, viewer: str) -> list[Conflict]:
    """Records whose required votes disagree, with their votes: for adjudicators only
    (a reviewer who learned which of their records are in conflict would learn the other
    reviewer's vote)."""
    _check_stage(stage)
    settings = load_settings(store)
    viewer = check_person(settings, viewer, store.login)
    _check_adjudicator(settings, viewer)
    ids = stage_ids(store, stage, settings)
    current = stage_outcomes(store, stage, settings, ids)
    votes = all_votes(store, stage)
    shown = visible_votes(votes, viewer, current, settings.adjudicators)
    by_record: dict[int, list[Vote]] = {}
    for vote in shown:
        by_record.setdefault(vote.record_id, []).append(vote)
    result = []
    for record_id, o in current.items():
        if o.status == "conflict":
            title = store.get_record(record_id).title
            result.append(Conflict(record_id, title, tuple(by_record.get(record_id, ()))))
    return result


def _check_adjudicator(settings: ReviewSettings, viewer: str) -> None:
    if viewer not in settings.adjudicators:
        who = ", ".join(settings.adjudicators) or "no one yet"
        raise ScreenerError(
            f"only adjudicators see conflicts ({who}); `screener review settings "
            "--adjudicator NAME` names one."
        )


def resolve(
    store: Store,
    record_id: int,
    stage: str,
    decision: str,
    reason: str,
    rationale: str,
    adjudicator: str,
    override: bool = False,
) -> Outcome:
    """Record the final decision on a record at a stage, with a rationale. Overriding
    what the reviewers agreed on takes `override` and a rationale."""
    _check_stage(stage)
    settings = load_settings(store)
    store.get_record(record_id)
    if record_id in store.links():
        raise ScreenerError(
            f"record {record_id} is a duplicate; resolve its canonical record "
            f"{store.links()[record_id].canonical_id} instead."
        )
    settings.validate_decision(stage, decision, reason)
    if settings.adjudicators and adjudicator not in settings.adjudicators:
        raise ScreenerError(
            f"{adjudicator!r} is not an adjudicator of this review "
            f"({', '.join(settings.adjudicators)})."
        )
    reason = settings.canonical_reason(reason) if reason else ""
    if stage == FULL_TEXT and record_id not in set(stage_ids(store, FULL_TEXT, settings)):
        raise ScreenerError(
            f"record {record_id} did not pass title/abstract screening, so it has no "
            "full-text decision; resolve it at title-abstract first."
        )
    now_standing = stage_outcomes(store, stage, settings, [record_id])[record_id]
    unanimous = now_standing.status == "decided"
    changed = (now_standing.decision, now_standing.reason) != (decision, reason)
    if unanimous and changed and (not override or not rationale.strip()):
        raise ScreenerError(
            f"the reviewers agreed on record {record_id} at {stage} "
            f"({now_standing.decision}); overriding a unanimous decision needs "
            "--override and a --rationale."
        )
    store.save_resolution(record_id, stage, decision, reason, rationale, adjudicator)
    return stage_outcomes(store, stage, settings, [record_id])[record_id]


# ---- agreement ----------------------------------------------------------------------------


def stage_agreement(
    store: Store, stage: str, pilot_only: bool = False, viewer: str = ""
) -> list[PairAgreement]:
    """Agreement per reviewer pair over records both decided. For an adjudicator, every
    such record; for anyone else only reconciled records (agreed or resolved), so the
    table never changes with a vote that is still blinded."""
    _check_stage(stage)
    settings = load_settings(store)
    if viewer:
        viewer = check_person(settings, viewer, store.login)
    votes, _ = independent_votes(store.decision_events(stage), settings.required_for(stage))
    ids = set(stage_ids(store, stage, settings))
    votes = [v for v in votes if v.record_id in ids]
    if pilot_only:
        sample = set(current_pilot(store)["ids"])
        votes = [v for v in votes if v.record_id in sample]
    current = stage_outcomes(store, stage, settings, {v.record_id for v in votes})
    open_statuses = ("decided", "resolved")
    if viewer and viewer in settings.adjudicators:
        open_statuses += ("conflict",)
    reconciled = [v for v in votes if current[v.record_id].status in open_statuses]
    return agreement(reconciled, stage, settings)


def is_adjudicator(store: Store, viewer: str) -> bool:
    return bool(viewer) and viewer.strip() in load_settings(store).adjudicators


def late_changes(store: Store, stage: str, viewer: str) -> list[LateChange]:
    """Votes changed after the record's required votes were in (they may erase a
    conflict): for adjudicators only, like conflicts."""
    _check_stage(stage)
    settings = load_settings(store)
    _check_adjudicator(settings, check_person(settings, viewer, store.login))
    return count_late_changes(store, stage)


def count_late_changes(store: Store, stage: str) -> list[LateChange]:
    """Every late change at `stage` (see `screener.screening.history`)."""
    settings = load_settings(store)
    _, changes = independent_votes(store.decision_events(stage), settings.required_for(stage))
    return changes


def start_pilot(store: Store, size: int, seed: int, who: str = "") -> list[int]:
    """Draw a reproducible random sample every reviewer screens first (calibration)."""
    if size < 1:
        raise ScreenerError("a pilot needs at least one record: --size N.")
    _check_may_steer(load_settings(store), who, "start a pilot")
    ids = pilot_sample(store.canonical_ids(), size, seed)
    store.set_setting(PILOT_KEY, json.dumps({"ids": ids, "seed": seed}))
    return ids


def end_pilot(store: Store, who: str = "") -> bool:
    """End the pilot; False if none was running."""
    _check_may_steer(load_settings(store), who, "end the pilot")
    running = bool(current_pilot(store)["ids"])
    store.set_setting(PILOT_KEY, json.dumps({"ids": [], "seed": None}))
    return running


def _check_may_steer(settings: ReviewSettings, who: str, what: str) -> None:
    """Once a review names adjudicators, only they steer it (settings, pilots)."""
    if settings.adjudicators and who.strip() not in settings.adjudicators:
        names = ", ".join(settings.adjudicators)
        raise ScreenerError(f"only an adjudicator ({names}) may {what}; add --as ADJUDICATOR.")


def current_pilot(store: Store) -> dict:
    text = store.get_setting(PILOT_KEY)
    return json.loads(text) if text else {"ids": [], "seed": None}


# ---- decisions as CSV ---------------------------------------------------------------------


def export_decisions(
    store: Store, viewer: str, stage: str | None = None, guard: bool = True
) -> str:
    """Decisions as CSV, blinded for `viewer`: their own, plus others' on reconciled records.
    Cells are neutralised against formula injection unless `guard` is False."""
    settings = load_settings(store)
    viewer = check_person(settings, viewer, store.login)
    out = io.StringIO()
    writer = csv_writer(out, guard)
    writer.writerow(EXPORT_COLUMNS)
    for current_stage in [stage] if stage else list(STAGES):
        votes = all_votes(store, current_stage)
        current = stage_outcomes(store, current_stage, settings, {v.record_id for v in votes})
        for vote in visible_votes(votes, viewer, current, settings.adjudicators):
            record = store.get_record(vote.record_id)
            writer.writerow(
                [
                    vote.record_id,
                    record.doi,
                    record.pmid,
                    record.title,
                    vote.reviewer,
                    vote.stage,
                    vote.decision,
                    vote.reason,
                    vote.note,
                    vote.decided_at,
                ]
            )
    return out.getvalue()


@dataclass(frozen=True)
class DecisionsImported:
    """What a decisions file did: `stored` rows changed something, on `records` records;
    `to_canonical` rows named a duplicate and went to its group's canonical record."""

    stored: int
    skipped: tuple[str, ...]
    rows: int = 0
    records: int = 0
    to_canonical: int = 0
    unchanged: int = 0
    free_text_reasons: tuple[str, ...] = ()


def import_decisions(
    store: Store,
    text: str,
    path: str,
    *,
    reviewer: str = "",
    stage: str = "",
    skip_bad: bool = False,
    recorded_by: str = "",
) -> DecisionsImported:
    """Decisions from a CSV (record_id or doi or pmid, reviewer, stage, decision, reason,
    note, time), stored in ONE transaction: nothing is stored if one row is bad (unless
    `skip_bad`), and a kill or a full disk half-way stores nothing either.

    Duplicates' decisions go to their canonical record; two different decisions of one
    reviewer on one record in the file are refused; a full-text decision needs a record
    that passed title/abstract screening (counting the file's own title/abstract rows);
    a column the file lacks (note, time) leaves the stored value alone. `recorded_by` is
    who imported the file, audited as the actor."""
    settings = load_settings(store)
    rows = _read_decision_rows(text, path)
    context = _RowContext(store, settings, reviewer, stage, recorded_by)
    good, problems, seen = [], [], {}
    for line, row in rows:
        try:
            parsed = context.parse(row)
            _check_not_twice(parsed, line, seen)
        except ScreenerError as exc:
            problems.append(f"line {line}: {exc}")
            continue
        good.append((line, parsed))
    _refuse_unless(problems, skip_bad, path)
    with store.transaction():
        first = [r for _, r in good if r["stage"] == TITLE_ABSTRACT]
        stored = store.save_decisions(first, recorded_by or reviewer)
        eligible = set(stage_ids(store, FULL_TEXT, settings))
        later = []
        for line, r in good:
            if r["stage"] != FULL_TEXT:
                continue
            if r["record_id"] in eligible:
                later.append(r)
            else:
                problems.append(
                    f"line {line}: record {r['record_id']} did not pass title/abstract "
                    "screening, so it has no full-text decision"
                )
        _refuse_unless(problems, skip_bad, path)
        stored += store.save_decisions(later, recorded_by or reviewer)
    kept = first + later
    free_text = sorted(
        {
            r["reason"]
            for r in kept
            if r["stage"] == TITLE_ABSTRACT
            and r["reason"]
            and settings.exclusion_reasons
            and r["reason"] not in settings.exclusion_reasons
        }
    )
    return DecisionsImported(
        stored=stored,
        skipped=tuple(problems),
        rows=len(kept),
        records=len({r["record_id"] for r in kept}),
        to_canonical=sum(1 for r in kept if r["moved"]),
        unchanged=len(kept) - stored,
        free_text_reasons=tuple(free_text),
    )


def _read_decision_rows(text: str, path: str) -> list[tuple[int, dict[str, str]]]:
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    header = {(name or "").strip().lower() for name in (rows[0].keys() if rows else ())}
    if rows and not header & {"record_id", "id", "doi", "pmid"} or "decision" not in header:
        raise ImportFileError(
            f"{path}: not a decisions CSV: it needs a header with decision and record_id "
            "(or doi or pmid), e.g. record_id,reviewer,stage,decision,reason,note."
        )
    if not rows:
        raise ImportFileError(f"{path}: no decisions in it (a header and one row per decision).")
    found = []
    for line, row in enumerate(rows, start=2):
        if None in row:  # more cells than the header has
            found.append((line, {"__error__": "more cells than the header has"}))
            continue
        found.append(
            (line, {(k or "").strip().lower(): clean_text(v or "").strip() for k, v in row.items()})
        )
    return found


def _refuse_unless(problems: list[str], skip_bad: bool, path: str) -> None:
    if problems and not skip_bad:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise ImportFileError(
            f"{path}: {'; '.join(problems[:3])}{more}. Nothing was imported;"
            " fix the rows or use --skip-bad."
        )


def _check_not_twice(row: dict, line: int, seen: dict) -> None:
    key = (row["record_id"], row["stage"], row["reviewer"])
    vote = (row["decision"], row["reason"])
    if key in seen and seen[key][0] != vote:
        raise ScreenerError(
            f"{row['reviewer']} has a different decision on record {row['record_id']} at "
            f"{row['stage']} on line {seen[key][1]}; one reviewer has one decision per record"
            + (" (rows for duplicates go to the group's record)" if row["moved"] else "")
        )
    seen.setdefault(key, (vote, line))


class _RowContext:
    """What checking a decisions row needs, read once per file."""

    def __init__(
        self,
        store: Store,
        settings: ReviewSettings,
        reviewer: str,
        stage: str,
        importer: str = "",
    ):
        self.store, self.settings = store, settings
        self.reviewer, self.stage = reviewer, stage
        # Blinding: a reviewer imports only her own votes (writing, or even confirming,
        # another's unreconciled vote would reveal it); adjudicators import anyone's.
        self.importer = importer.strip()
        self.any_reviewer = not settings.adjudicators or self.importer in settings.adjudicators
        self.links = store.links()
        self.known = set(store.source_ids())
        self.stored = {(v.record_id, v.stage, v.reviewer): v for v in store.decision_rows()}

    def parse(self, row: dict[str, str]) -> dict:
        if "__error__" in row:
            raise ScreenerError(row["__error__"])
        record_id = self._record_id(row)
        canonical = self.links[record_id].canonical_id if record_id in self.links else record_id
        who = row.get("reviewer") or self.reviewer
        when_stage = row.get("stage") or self.stage or TITLE_ABSTRACT
        if not who:
            raise ScreenerError("no reviewer (a reviewer column, or --reviewer)")
        if self.settings.reviewers and who not in self.settings.reviewers:
            raise ScreenerError(f"{who!r} is not a reviewer of this review")
        if self.importer and who != self.importer and not self.any_reviewer:
            raise ScreenerError(
                f"a decision of {who!r}: {self.importer} may import only their own decisions "
                "(an adjudicator may import anyone's)"
            )
        _check_stage(when_stage)
        decision = row.get("decision", "").lower()
        if "reason" in row:
            reason = self.settings.canonical_reason(row["reason"]) if row["reason"] else ""
        else:  # no reason column: an unchanged exclusion keeps its stored reason
            old = self.stored.get((canonical, when_stage, who))
            reason = old.reason if old is not None and old.decision == decision else ""
        self.settings.validate_decision(when_stage, decision, reason)
        return {
            "record_id": canonical,
            "stage": when_stage,
            "reviewer": who,
            "decision": decision,
            "reason": reason,
            "note": row.get("note"),  # None: no note column, keep the stored note
            "decided_at": parse_decision_time(row.get("time"), datetime.now(UTC)),
            "moved": canonical != record_id,
        }

    def _record_id(self, row: dict[str, str]) -> int:
        ident = row.get("record_id") or row.get("id") or ""
        record_id = None
        if ident.isdigit():
            record_id = int(ident)
        else:
            for key in ("doi", "pmid"):
                if row.get(key):
                    record_id = self.store.record_ids_by_identifier([row[key]]).get(row[key])
                    break
        if record_id is None:
            raise ScreenerError("no record_id, doi or pmid that matches a record")
        if record_id not in self.known:
            raise ScreenerError(f"no record {record_id}")
        return record_id


def review_summary(store: Store, viewer: str) -> dict:
    """Settings and the viewer's own progress per stage (never anyone else's)."""
    settings = load_settings(store)
    summary = {"settings": json.loads(settings.to_json()), "stages": {}}
    for stage in STAGES:
        ids = set(stage_ids(store, stage, settings))
        own = [v for v in store.decision_rows(stage, viewer) if v.record_id in ids]
        summary["stages"][stage] = {"records": len(ids), "decided_by_you": len(own)}
    return summary
