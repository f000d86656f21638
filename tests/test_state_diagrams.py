"""The state diagrams in docs/ are drawn from the machines (graph_transitions) and kept current."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.mark.parametrize(
    ("model", "dot"),
    [
        ("records.Notice", "notice-states.dot"),
        ("records.Acknowledgement", "acknowledgement-states.dot"),
    ],
)
def test_committed_diagram_matches_the_machine(model: str, dot: str) -> None:
    out = StringIO()
    call_command("graph_transitions", model, stdout=out)
    drawn = sorted(out.getvalue().strip().splitlines())  # graph_transitions' order varies
    committed = sorted((DOCS / dot).read_text(encoding="utf-8").strip().splitlines())
    assert drawn == committed, (
        f"regenerate: DEBUG=1 python manage.py graph_transitions {model} > docs/{dot}"
    )


def test_machines_have_the_designed_transitions() -> None:
    text = (DOCS / "notice-states.dot").read_text(encoding="utf-8")
    for source, target in [
        ("received", "registered"),
        ("registered", "circulating"),
        ("registered", "returned"),
        ("circulating", "completed"),
        ("circulating", "withdrawn"),
        ("completed", "archived"),
    ]:
        assert f'state.{source}" -> "records.收文.state.{target}"' in text
