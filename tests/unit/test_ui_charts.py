"""The inspector's SVG charts: well-formed, escaped, accessible, and drawn to scale."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from langmem_plugin.ui._charts import Series, bar_chart, line_chart, nice_ticks

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script>&'


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))  # raises on markup that is not well-formed


def test_line_chart_is_an_accessible_image_with_a_title_and_a_description() -> None:
    svg = parse(line_chart("Mood", [Series("sentiment", [("03-01", 0.5), ("03-02", -0.25)])]))
    assert svg.get("role") == "img"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert title is not None
    assert title.text == "Mood"
    assert desc is not None
    assert "last: sentiment -0.25 at 03-02" in (desc.text or "")
    labelled = (svg.get("aria-labelledby") or "").split()
    assert labelled == [title.get("id"), desc.get("id")]
    tips = [t.text for t in svg.iter(f"{SVG}title")][1:]
    assert tips == ["sentiment 03-01: 0.5", "sentiment 03-02: -0.25"]


def test_points_are_placed_to_scale() -> None:
    svg = parse(line_chart("y", [Series("s", [("a", 0), ("b", 10), ("c", 5)])], y_range=(0, 10)))
    points = [(float(c.get("cx", 0)), float(c.get("cy", 0))) for c in svg.iter(f"{SVG}circle")]
    (x0, y0), (x1, y1), (x2, y2) = points
    assert x0 < x1 < x2
    assert x1 - x0 == pytest.approx(x2 - x1)
    assert y0 > y2 > y1
    assert (y0 - y2) == pytest.approx(y2 - y1)


def test_text_is_escaped_everywhere() -> None:
    markup = str(
        line_chart(HOSTILE, [Series(HOSTILE, [(HOSTILE, 1.0)]), Series("b", [(HOSTILE, 2.0)])])
        + bar_chart(HOSTILE, [(HOSTILE, 3.0)], y_label=HOSTILE)
    )
    assert "<script" not in markup
    assert markup.count("&lt;script&gt;") >= 6
    for chart in (line_chart(HOSTILE, [Series(HOSTILE, [(HOSTILE, 1.0)])]),):
        parse(chart)


def test_a_none_value_breaks_the_line() -> None:
    svg = parse(
        line_chart(
            "gaps", [Series("mean", [("1", 1.0), ("2", 2.0), ("3", None), ("4", 3.0), ("5", 4.0)])]
        )
    )
    lines = list(svg.iter(f"{SVG}polyline"))
    assert len(lines) == 2
    assert len(list(svg.iter(f"{SVG}circle"))) == 4


def test_bars_grow_from_zero_in_proportion() -> None:
    svg = parse(bar_chart("calls", [("a", 2), ("b", 4), ("c", 0)]))
    heights = [float(r.get("height", 0)) for r in svg.iter(f"{SVG}rect")]
    assert heights[1] == pytest.approx(2 * heights[0])
    assert heights[2] == 0
    assert "total 6" in (svg.find(f"{SVG}desc").text or "")  # type: ignore[union-attr]


def test_no_data_says_so() -> None:
    for chart in (line_chart("empty", []), line_chart("e", [Series("s", [])]), bar_chart("e", [])):
        svg = parse(chart)
        assert "No data yet" in "".join(svg.itertext())


def test_many_labels_are_thinned_but_the_last_is_shown() -> None:
    labels = [f"d{n}" for n in range(30)]
    svg = parse(bar_chart("days", [(label, 1) for label in labels]))
    ticks = [t.text or "" for t in svg.iter(f"{SVG}text") if t.get("class") == "tick"]
    shown = [text for text in ticks if text.startswith("d")]
    assert len(shown) <= 9
    assert shown[0] == "d0"
    assert shown[-1] == "d29"


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0, 1, [0, 0.5, 1.0]),
        (-1, 1, [-1, -0.5, 0, 0.5, 1]),
        (0, 37, [0, 10, 20, 30, 40]),
    ],
)
def test_nice_ticks(low: float, high: float, expected: list[float]) -> None:
    assert nice_ticks(low, high) == pytest.approx(expected)


def test_ticks_of_a_non_finite_range_are_refused() -> None:
    with pytest.raises(ValueError, match="finite"):
        nice_ticks(0, float("nan"))
