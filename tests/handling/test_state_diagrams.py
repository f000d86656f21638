"""The 批办 machines' diagrams in docs/ are drawn from the machines and kept current."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize(
    ("model", "dot"),
    [
        ("records.HandlingCase", "handling-case-states.dot"),
        ("records.Instruction", "instruction-states.dot"),
        ("records.Assignment", "assignment-states.dot"),
    ],
)
def test_committed_diagram_matches_the_machine(model: str, dot: str) -> None:
    out = StringIO()
    call_command("graph_transitions", model, stdout=out)
    drawn = sorted(out.getvalue().strip().splitlines())
    committed = sorted((DOCS / dot).read_text(encoding="utf-8").strip().splitlines())
    assert drawn == committed, (
        f"regenerate: DEBUG=1 python manage.py graph_transitions {model} > docs/{dot}"
    )


def test_the_case_finishes_only_from_undertaking_or_awaiting_reply() -> None:
    text = (DOCS / "handling-case-states.dot").read_text(encoding="utf-8")
    assert 'state.proposed" -> "records.批办单.state.undertaking"' in text
    assert 'state.undertaking" -> "records.批办单.state.done"' in text
    assert 'state.resulted" -> "records.批办单.state.done"' in text
    assert 'state.proposed" -> "records.批办单.state.done"' not in text
