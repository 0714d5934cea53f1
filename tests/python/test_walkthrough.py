"""docs/python.md's walk-through runs as written: its ```python blocks, in order, in a fresh folder."""

import os
import re

import pytest

_docs = os.path.join(os.environ.get("EMOFUSE_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..")),
                     "docs", "python.md")


def test_walkthrough_runs_as_written(tmp_path, monkeypatch, capsys):
    pytest.importorskip("sklearn", reason="the walk-through uses scikit-learn's GroupKFold")
    with open(_docs, encoding="utf-8") as f:
        text = f.read()
    walk = text[text.index("## Walk-through"):]
    blocks = re.findall(r"```python\n(.*?)```", walk, flags=re.S)
    assert len(blocks) >= 4, "the walk-through's code blocks were not found"
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__walkthrough__"}
    for block in blocks:
        exec(compile(block, _docs, "exec"), namespace)
    printed = capsys.readouterr().out
    # The printed lines the document shows come from this code: the same number of them.
    shown = sum(len(b.strip().splitlines()) for b in re.findall(r"```text\n(.*?)```", walk, flags=re.S))
    assert len(printed.strip().splitlines()) == shown
