"""Logging without personal data: a failure is told by its type and where it happened.

An exception's text may carry what a student typed (a template value, a search word) or the
parameters of an SQL statement (names, phone numbers), so neither the text nor the locals
of a traceback are ever logged: only the exception's type, the chain of causes' types, and
the frames (file, line, function) it passed through."""

from __future__ import annotations

import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def failure(error: BaseException) -> str:
    """`TypeError at handlers/x.py:12 in f` followed by the frames, innermost last, and the
    causes' types: enough to find the line, nothing of what a person wrote."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if _ours(f.filename)]
    where = ours[-1] if ours else (frames[-1] if frames else None)
    head = type(error).__name__ + (f" at {_place(where)}" if where else "")
    lines = [head, *(f"  {_place(f)}" for f in frames)]
    cause = error.__cause__ or error.__context__
    while cause is not None:
        lines.append(f"  caused by {type(cause).__name__}")
        cause = cause.__cause__ or cause.__context__
    return "\n".join(lines)


def _ours(filename: str) -> bool:
    return filename.startswith(str(ROOT)) and "site-packages" not in filename


def _place(frame: traceback.FrameSummary) -> str:
    name = frame.filename
    if _ours(name):
        name = str(Path(name).relative_to(ROOT))
    return f"{name}:{frame.lineno} in {frame.name}"
