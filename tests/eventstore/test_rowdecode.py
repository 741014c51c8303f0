"""RowDecoder: stored rows of the single-host backends back to typed events, bad rows to dead letters."""
from __future__ import annotations

from datetime import datetime, timezone

from eventstore import Event, Position
from eventstore.rowdecode import Row, RowDecoder
from tests.eventstore.payloads import AccountOpened, Deposited, registry

NOW = "2026-11-26T09:00:00.123456+00:00"


def row(offset: int, type_: str, body: bytes, *, time: str = NOW, defaults: bool = True) -> Row:
    actor, source, contenttype = (None, None, None) if defaults else ("ann", "cli", "application/json")
    return (offset, f"id-{offset}", type_, "acc-1", time, actor, "corr", None, source, contenttype, body)


OPENED = registry.encode(AccountOpened(account="acc-1", owner="ann"))
DEPOSITED = registry.encode(Deposited(account="acc-1", amount=5))


def test_a_slice_of_mixed_types_decodes_in_order_with_the_envelope() -> None:
    rows = [row(0, "AccountOpened", OPENED), row(1, "Deposited", DEPOSITED, defaults=False), row(2, "Deposited", DEPOSITED)]

    events, dead = RowDecoder(registry).decode("ledger", 2, rows)

    assert dead == []
    assert [e.data for e in events] == [
        AccountOpened(account="acc-1", owner="ann"), Deposited(account="acc-1", amount=5), Deposited(account="acc-1", amount=5)
    ]
    first = events[0]
    assert first == Event(
        "AccountOpened", "acc-1", AccountOpened(account="acc-1", owner="ann"), stream="ledger", id="id-0",
        time=datetime(2026, 11, 26, 9, 0, 0, 123456, tzinfo=timezone.utc), correlationid="corr",
        position=Position(2, 0),
    )
    assert (events[1].actor, events[1].source) == ("ann", "cli")
    assert [e.position for e in events] == [Position(2, 0), Position(2, 1), Position(2, 2)]


def test_undecodable_rows_become_dead_letters_and_the_rest_decodes() -> None:
    rows = [
        row(0, "Deposited", DEPOSITED),
        row(1, "Deposited", b'{"account": "acc-1", "amount": -3}'),
        row(2, "Withdrawn", b"{}"),
        row(3, "Deposited", DEPOSITED, time="yesterday"),
        row(4, "Deposited", b"not json"),
        row(5, "Deposited", DEPOSITED),
    ]

    events, dead = RowDecoder(registry).decode("ledger", 0, rows)

    assert [e.position.offset for e in events] == [0, 5]  # type: ignore[union-attr]
    reasons = {letter.position.offset: letter.reason for letter in dead}  # type: ignore[union-attr]
    assert sorted(reasons) == [1, 2, 3, 4]
    assert "amount" in reasons[1]
    assert "unknown event type 'Withdrawn'" in reasons[2]
    assert "invalid time 'yesterday'" in reasons[3]
    assert "'Deposited'" in reasons[4]
    letter = next(d for d in dead if d.position == Position(0, 4))
    assert (letter.stream, letter.key, letter.value) == ("ledger", b"acc-1", b"not json")
    assert ("ce_type", b"Deposited") in letter.headers and ("ce_actor", b"system") in letter.headers
