"""Workflows name their activities through `workflows.activity_names`: every name there is an
activity a worker runs, and no workflow spells an activity's name as a string of its own."""

from __future__ import annotations

import ast
from pathlib import Path

from temporalio import activity

from activities.registry import ACTIVITIES
from workflows import activity_names

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"


def _registered() -> set[str]:
    names = set()
    for functions in ACTIVITIES.values():
        for fn in functions:
            definition = activity._Definition.from_callable(fn)
            assert definition is not None and definition.name is not None, fn
            names.add(definition.name)
    return names


def _constants() -> dict[str, str]:
    return {k: v for k, v in vars(activity_names).items() if k.isupper() and isinstance(v, str)}


def test_every_name_is_a_registered_activity_and_every_activity_has_a_name() -> None:
    constants = _constants()
    assert set(constants.values()) == _registered()
    assert all(name == value.upper() for name, value in constants.items())


def test_no_workflow_spells_an_activity_name() -> None:
    registered = _registered()
    spelled = [
        f"{path.relative_to(WORKFLOWS)}:{node.lineno} {node.value!r}"
        for path in sorted(WORKFLOWS.rglob("*.py"))
        if path.name != "activity_names.py"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and node.value in registered
    ]
    assert not spelled, "use workflows.activity_names instead of:\n" + "\n".join(spelled)
