"""PRISMA 2020 SVG diagram: valid XML, every box with its label and number, a sane layout."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import replace
from itertools import combinations

import pytest
from test_prisma import EXOSOME, FULL

from screener.prisma import Count, build_flow, to_svg
from screener.prisma.boxes import diagram
from screener.prisma.svg import CHAR_W, PAD

NS = {"svg": "http://www.w3.org/2000/svg"}


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg.encode("utf-8"))


def groups(root: ET.Element, prefix: str) -> dict[str, ET.Element]:
    return {
        g.get("id")[len(prefix) :]: g
        for g in root.iter("{http://www.w3.org/2000/svg}g")
        if (g.get("id") or "").startswith(prefix)
    }


def box_text(group: ET.Element) -> str:
    return " ".join(t.text for t in group.findall("svg:text", NS))


def rect_of(group: ET.Element) -> tuple[float, float, float, float]:
    r = group.find("svg:rect", NS)
    return tuple(float(r.get(k)) for k in ("x", "y", "width", "height"))


@pytest.mark.parametrize("inputs", [EXOSOME, FULL], ids=["new-review", "updated-review"])
def test_svg_has_every_box_with_label_and_number(inputs):
    flow = build_flow(inputs)
    root = parse(to_svg(flow))
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("version") == "1.1"
    boxes = groups(root, "box-")
    expected = diagram(flow).boxes
    assert set(boxes) == {b.key for b in expected}
    for box in expected:
        text = box_text(boxes[box.key])
        for line in box.lines:
            assert line.text in text, (box.key, line.text, text)


def test_svg_columns_follow_the_variant():
    new = groups(parse(to_svg(build_flow(EXOSOME))), "header-")
    assert set(new) == {"dbr"}
    assert "Identification of studies via databases and registers" in box_text(new["dbr"])
    updated = groups(parse(to_svg(build_flow(FULL))), "header-")
    assert set(updated) == {"previous", "dbr", "other"}
    assert box_text(updated["previous"]) == "Previous studies"
    assert "new studies via other methods" in box_text(updated["other"])
    phases = groups(parse(to_svg(build_flow(FULL))), "phase-")
    assert set(phases) == {"identification", "screening", "included"}


def test_svg_is_plain_and_self_contained():
    svg = to_svg(build_flow(FULL))
    for forbidden in ("<script", "<style", "@font-face", "href=", "<image", "<foreignObject"):
        assert forbidden not in svg
    assert 'font-family="Arial, Helvetica' in svg


@pytest.mark.parametrize("inputs", [EXOSOME, FULL], ids=["new-review", "updated-review"])
def test_svg_boxes_do_not_overlap_and_text_fits(inputs):
    root = parse(to_svg(build_flow(inputs)))
    rects = {f"box-{k}": rect_of(g) for k, g in groups(root, "box-").items()}
    rects |= {f"header-{k}": rect_of(g) for k, g in groups(root, "header-").items()}
    for (a, (ax, ay, aw, ah)), (b, (bx, by, bw, bh)) in combinations(rects.items(), 2):
        apart = ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay
        assert apart, (a, b)
    for key, group in groups(root, "box-").items():
        x, y, w, h = rects[f"box-{key}"]
        for t in group.findall("svg:text", NS):
            tx, ty = float(t.get("x")), float(t.get("y"))
            width = len(t.text) * CHAR_W
            left = tx - width / 2 if t.get("text-anchor") == "middle" else tx
            assert x + PAD / 2 <= left and left + width <= x + w - PAD / 2 + 1, (key, t.text)
            assert y < ty < y + h, (key, t.text)


def test_svg_arrows_end_on_a_box_edge_pointing_into_it():
    root = parse(to_svg(build_flow(FULL)))
    rects = {k: rect_of(g) for k, g in groups(root, "box-").items()}
    arrows = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "arrow"]
    assert len(arrows) >= 17
    targets = []
    for arrow in arrows:
        tip = [
            tuple(map(float, p.split(",")))
            for p in arrow.find("svg:polygon", NS).get("points").split()
        ][0]
        line = [
            tuple(map(float, p.split(",")))
            for p in arrow.find("svg:polyline", NS).get("points").split()
        ]
        hit = [
            k
            for k, (x, y, w, h) in rects.items()
            if x - 0.2 <= tip[0] <= x + w + 0.2 and y - 0.2 <= tip[1] <= y + h + 0.2
        ]
        assert len(hit) == 1, (tip, hit)
        x, y, w, h = rects[hit[0]]
        base = line[-1]  # the shaft ends at the base of the head, outside the box
        assert not (x < base[0] < x + w and y < base[1] < y + h)
        targets.append(hit[0])
    assert sorted(targets) == sorted(
        [
            "screened",
            "sought",
            "assessed",
            "included",
            "total",
            "meta_analysis",
            "removed",
            "excluded",
            "not_retrieved",
            "reports_excluded",
            "records_undecided",
            "reports_undecided",
            "other_sought",
            "other_not_retrieved",
            "other_assessed",
            "other_excluded",
            "included",
            "total",
        ]
    )  # included: from assessed and other methods; total: from included and previous


def test_svg_escapes_names():
    inputs = replace(EXOSOME, reports_excluded=(Count("Wrong <population> & co", 22),))
    root = parse(to_svg(build_flow(inputs)))
    assert "Wrong <population> & co (n = 22)" in box_text(groups(root, "box-")["reports_excluded"])


@pytest.mark.parametrize("inputs", [EXOSOME, FULL], ids=["new-review", "updated-review"])
def test_svg_renders_to_png(inputs, tmp_path):
    if shutil.which("rsvg-convert") is None:
        pytest.skip("rsvg-convert is not installed (apt-get install librsvg2-bin)")
    svg, png = tmp_path / "flow.svg", tmp_path / "flow.png"
    svg.write_text(to_svg(build_flow(inputs)), encoding="utf-8")
    subprocess.run(["rsvg-convert", "-o", str(png), str(svg)], check=True, capture_output=True)
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000


def test_control_characters_in_names_never_make_the_svg_invalid():
    flow = build_flow(
        replace(
            EXOSOME,
            databases=(Count("Pub\x1b[31mMed\x07", 120), Count("Scopus", 95), Count("Embase", 110)),
            reports_excluded=(Count("Wrong\x00 population", 22),),
        )
    )
    svg = to_svg(flow)
    root = parse(svg)  # XML 1.0 allows no control characters: this would raise
    text = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "PubMed" in text and "Wrong population" in text
