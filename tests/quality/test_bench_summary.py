"""`magnet bench` reports what the benches measured, and a bench that fails never fails it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli import bench as benches


class TestBenchSummary:
    def test_a_bench_without_results_is_a_miss_not_an_exception(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(benches, "RESULTS_DIR", tmp_path)
        missing = benches.Bench("no_such_bench", (), (), benches._load)
        lines: list[str] = []

        rows = benches.run(missing, quick=False, say=lines.append)

        assert rows == [benches.Row("no_such_bench", "no result", "exit code 1", "", "MISS")]
        assert "bench.no_such_bench" in (tmp_path / "no_such_bench.out").read_text()
        assert lines[-1] == "no_such_bench: exit code 1 after 0 s"

    def test_goals_are_judged_from_the_figures_the_bench_wrote(self) -> None:
        written = {
            "ratios": {
                "service/raw": {"value": 0.41, "goal": 0.5, "met": False},
                "gateway/service": {"value": 0.95, "goal": 0.9, "met": True},
            }
        }

        rows = benches._baseline(json.loads(json.dumps(written)))

        assert rows == [
            benches.Row("baseline", "service/raw", "0.41", ">= 0.5", "MISS"),
            benches.Row("baseline", "gateway/service", "0.95", ">= 0.9", "PASS"),
        ]
