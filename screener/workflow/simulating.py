"""`screener simulate`: replay a labelled review (a CSV of title, abstract and a 0/1
label) through the ranking the screen uses, and report what it would have saved.

Reads the CSV text given by the front end; writes nothing. The recall curve can be
returned as CSV text or drawn as SVG (no plotting library needed) or PNG (matplotlib).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from screener.errors import ImportFileError, ScreenerError
from screener.screening import ranking, simulation

LABEL_COLUMNS = ("label_included", "included", "label", "label_final", "final_decision")
csv.field_size_limit(1 << 30)


@dataclass(frozen=True)
class Labelled:
    texts: list[str]
    labels: np.ndarray
    label_column: str


def read_labelled(text: str, path: str, label_column: str = "") -> Labelled:
    """Titles, abstracts and 0/1 labels from CSV text; the label column is `label_column`
    or the first of LABEL_COLUMNS present (ASReview's `label_included` among them)."""
    # Lines split at "\n" only, as a file is read; not io.StringIO, which would hold the
    # text once more at four bytes a character.
    reader = csv.reader(line + "\n" for line in text.lstrip("\ufeff").split("\n"))
    header = {name.strip().lower(): at for at, name in enumerate(next(reader, []))}
    if "title" not in header:
        raise ImportFileError(
            f"{path}: no title column; a labelled CSV needs title, abstract "
            "and a 0/1 label column (e.g. label_included)."
        )
    column = label_column.strip().lower() or next((c for c in LABEL_COLUMNS if c in header), "")
    if column not in header:
        wanted = label_column or " or ".join(LABEL_COLUMNS)
        raise ImportFileError(f"{path}: no label column {wanted}; name it with --label.")
    texts, labels = [], []
    at_title, at_abstract, at_label = header["title"], header.get("abstract", -1), header[column]
    for row in reader:
        if not row:  # a blank line
            continue
        value = _cell(row, at_label).strip()
        if value not in ("0", "1"):
            raise ImportFileError(
                f"{path}, line {reader.line_num}: label {value!r} in {column}: use 0 or 1."
            )
        texts.append(ranking.record_text(_cell(row, at_title), _cell(row, at_abstract)))
        labels.append(int(value))
    y = np.asarray(labels, dtype=np.int64)
    if not len(y) or not y.any():
        raise ImportFileError(f"{path}: no record labelled 1 in {column}: nothing to find.")
    return Labelled(texts, y, column)


def _cell(row: list[str], at: int) -> str:
    return row[at] if 0 <= at < len(row) else ""


def run_simulation(
    data: Labelled,
    *,
    seed: int = ranking.DEFAULT_SEED,
    prior_included: int = 1,
    prior_excluded: int = 1,
    recall: float = 0.95,
    confidence: float = 0.95,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[dict, np.ndarray]:
    """The measures and the recall curve (recall after each record screened)."""
    if prior_included < 1 or prior_excluded < 1:
        raise ScreenerError(
            "the model needs at least one prior include and one prior "
            "exclude: --prior-included 1 --prior-excluded 1."
        )
    features = ranking.text_features(data.texts)
    try:
        sim = simulation.simulate(
            features,
            data.labels,
            seed=seed,
            prior_included=prior_included,
            prior_excluded=prior_excluded,
            progress=progress,
        )
    except simulation.SimulationError as exc:
        raise ScreenerError(str(exc)) from None
    figures = simulation.measures(sim, recall, confidence)
    figures.update(
        seed=seed,
        prior_included=prior_included,
        prior_excluded=prior_excluded,
        label_column=data.label_column,
        model=ranking.MODEL_NAME,
        features=ranking.FEATURES_NAME,
    )
    return figures, simulation.recall_curve(sim.sequence, len(data.labels))


def curve_csv(curve: np.ndarray) -> str:
    lines = ["screened,recall"]
    lines += [f"{i},{r:.6f}" for i, r in enumerate(curve, start=1)]
    return "\n".join(lines) + "\n"


def curve_svg(curve: np.ndarray, title: str, stop: int | None = None) -> str:
    """The recall curve as a small standalone SVG, with random order and the stop."""
    w, h, m = 640, 400, 50
    n = len(curve)
    step = max(1, n // 800)
    xs = np.arange(0, n, step)

    def pt(i: float, r: float) -> str:
        return f"{m + (w - 2 * m) * i / max(1, n - 1):.1f},{h - m - (h - 2 * m) * r:.1f}"

    line = " ".join(pt(i, float(curve[i])) for i in xs) + " " + pt(n - 1, float(curve[-1]))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">',
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="{w / 2}" y="20" text-anchor="middle">{_escape(title)}</text>',
        f'<line x1="{m}" y1="{h - m}" x2="{w - m}" y2="{h - m}" stroke="black"/>',
        f'<line x1="{m}" y1="{m}" x2="{m}" y2="{h - m}" stroke="black"/>',
        f'<text x="{w / 2}" y="{h - 15}" text-anchor="middle">records screened (of {n:,})</text>',
        f'<text x="15" y="{h / 2}" transform="rotate(-90 15 {h / 2})" '
        'text-anchor="middle">recall</text>',
        f'<polyline points="{pt(0, 0)} {pt(n - 1, 1)}" fill="none" stroke="grey" '
        'stroke-dasharray="4 4"/>',
        f'<polyline points="{line}" fill="none" stroke="#1f77b4" stroke-width="2"/>',
    ]
    if stop:
        parts.append(
            f'<line x1="{pt(stop - 1, 0).split(",")[0]}" y1="{m}" '
            f'x2="{pt(stop - 1, 0).split(",")[0]}" y2="{h - m}" stroke="#d62728"/>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def curve_png(curve: np.ndarray, title: str, path: str, stop: int | None = None) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ScreenerError(
            "a PNG needs matplotlib (pip install 'screener[plot]'); or give a file ending in .svg."
        ) from None
    fig, ax = plt.subplots(figsize=(6.4, 4))
    ax.plot(np.arange(1, len(curve) + 1), curve, label="screener")
    ax.plot([1, len(curve)], [0, 1], "--", color="grey", label="random order")
    if stop:
        ax.axvline(stop, color="#d62728", label="stopping rule")
    ax.set(xlabel="records screened", ylabel="recall", title=title)
    ax.legend(loc="lower right")
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
