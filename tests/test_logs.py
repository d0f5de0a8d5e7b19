"""What a failure leaves in the log: its type and its frames, never its text (bot/logs.py)."""

from __future__ import annotations

from bot.logs import failure

SECRET = "김민지 010-1234-5678"


def fails_inside() -> None:
    try:
        {}["x"]
    except KeyError as error:
        raise ValueError(f"could not save {SECRET!r}") from error


def test_a_failure_is_told_by_type_and_frames_only():
    try:
        fails_inside()
    except ValueError as error:
        told = failure(error)
    assert SECRET not in told and "could not save" not in told
    first, *frames = told.splitlines()
    assert first.startswith("ValueError at tests/test_logs.py:")
    assert first.endswith("in fails_inside")
    assert any("in test_a_failure_is_told_by_type_and_frames_only" in line for line in frames)
    assert frames[-1] == "  caused by KeyError"


def test_a_failure_without_a_traceback_is_its_type():
    assert failure(RuntimeError(SECRET)) == "RuntimeError"
