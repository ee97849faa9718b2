"""Forked workers never hold kz up: a child that is alive but silent is given up on."""

from __future__ import annotations

import time

import pytest

from kzcli import workers


def _silent(send: object) -> None:
    time.sleep(60)  # alive, and never sends: a stuck worker


@pytest.mark.hostile
def test_a_worker_alive_but_silent_is_given_up_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """receive() raises ChildGone once the child has said nothing for SILENT_S, and the child is ended."""
    monkeypatch.setattr(workers, "SILENT_S", 0.5)
    started = time.monotonic()
    with workers.forked(_silent) as (child, reader), pytest.raises(workers.ChildGone):
        workers.receive(child, reader)
    assert time.monotonic() - started < 10
    assert not child.is_alive()
