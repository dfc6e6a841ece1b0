"""The decision to stop title-abstract screening by a rule, and the records it leaves
unscreened: PRISMA's "records marked as ineligible by automation tools" (excluded_automatic).

Kept apart from `workflow.ranking` so that reports need not load numpy and scipy.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from screener.screening import TITLE_ABSTRACT
from screener.store import Store
from screener.workflow import screening as screening_flow

STOP_KEY = "stop-screening"


def screening_stop(store: Store) -> dict | None:
    """The recorded decision to stop title-abstract screening, if any."""
    text = store.get_setting(STOP_KEY)
    return json.loads(text) if text else None


def automatically_excluded(store: Store, ids: Sequence[int] | None = None) -> set[int]:
    """Title-abstract records nobody screened (no vote, no resolution), once screening was
    stopped by a rule; none while screening goes on."""
    if screening_stop(store) is None:
        return set()
    settings = screening_flow.load_settings(store)
    ids = screening_flow.stage_ids(store, TITLE_ABSTRACT, settings) if ids is None else ids
    voted = {r.record_id for r in store.decision_rows(TITLE_ABSTRACT)}
    resolved = {r.record_id for r in store.resolution_rows(TITLE_ABSTRACT)}
    return {i for i in ids if i not in voted and i not in resolved}
