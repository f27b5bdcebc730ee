"""A new tool is a data file beside rob2.json: the loader reads every file in tools/, and a key
defined twice is refused."""

from __future__ import annotations

import json
import shutil

import pytest

from risk_of_bias import tool as tool_module


@pytest.fixture
def tools_dir(tmp_path, monkeypatch):
    shutil.copy(tool_module.DATA, tmp_path / "rob2.json")
    monkeypatch.setattr(tool_module, "DATA", tmp_path / "rob2.json")
    tool_module._load.cache_clear()
    yield tmp_path
    tool_module._load.cache_clear()


def test_a_second_file_adds_its_tools(tools_dir):
    rob2 = json.loads((tools_dir / "rob2.json").read_text())
    cluster = {**rob2, "tools": {"rob2-cluster-assignment": {
        "label": "RoB 2, cluster-randomised trial (as a test)",
        "domains": rob2["tools"]["rob2-assignment"]["domains"],
    }}}  # fmt: skip
    (tools_dir / "rob2-cluster.json").write_text(json.dumps(cluster))
    loaded = tool_module._load()
    assert set(loaded) == {"rob2-assignment", "rob2-adherence", "rob2-cluster-assignment"}
    assert loaded["rob2-cluster-assignment"].domain("D1").questions[0].id == "1.1"


def test_a_key_defined_twice_is_refused(tools_dir):
    (tools_dir / "copy.json").write_text((tools_dir / "rob2.json").read_text())
    with pytest.raises(ValueError, match="defined twice"):
        tool_module._load()
