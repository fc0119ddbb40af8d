import xml.etree.ElementTree as ET

from gateway.charts import Series, line, radar

NS = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(str(svg).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))


class TestRadar:
    def test_one_polygon_per_series_and_a_label_per_axis(self) -> None:
        svg = radar(
            ["Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ"],
            [Series("千代田区", [1.0, 0.5, 0.25, 0.0]), Series("類似団体平均", [0.5] * 4, "s2")],
        )
        root = parse(svg)
        assert len(root.findall(f"{NS}polygon[@class='series s1']")) == 1
        assert [t.text for t in root.findall(f"{NS}text")] == ["Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ"]
        assert "千代田区: Ⅰ 100%, Ⅱ 50%, Ⅲ 25%, Ⅳ 0%" in root.find(f"{NS}desc").text

    def test_full_score_reaches_the_outer_ring(self) -> None:
        root = parse(radar(["a", "b", "c"], [Series("x", [1, 1, 1])], size=340))
        outer = root.findall(f"{NS}polygon[@class='grid']")[-1].get("points")
        assert root.find(f"{NS}polygon[@class='series s1']").get("points") == outer

    def test_needs_three_axes(self) -> None:
        assert radar(["a", "b"], [Series("x", [1, 1])]) == ""


class TestLine:
    def test_points_and_labels(self) -> None:
        root = parse(line(["R5", "R6", "R7"], [Series("推進", [400, 450, None])], title="総合得点"))
        assert len(root.findall(f"{NS}circle")) == 2
        assert "R7" in [t.text for t in root.findall(f"{NS}text")]
        assert root.find(f"{NS}circle/{NS}title").text == "推進 400"

    def test_empty(self) -> None:
        assert line([], []) == ""
