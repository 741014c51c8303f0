"""Dead letters on Kafka: an undecodable record is copied, key, value and headers untouched, to the
dead-letter topic with `reason` and `dl_*` headers naming where it came from; and read back as DeadLetter.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from eventstore.kafka_codec import Headers, OutRecord, record_time
from eventstore.records import DeadLetter, Position

REASON = "reason"
STREAM = "dl_stream"
PARTITION = "dl_partition"
OFFSET = "dl_offset"
_OURS = frozenset((REASON, STREAM, PARTITION, OFFSET))


def to_dead_letter_record(topic: str, letter: DeadLetter) -> OutRecord:
    """The record that keeps `letter` in the dead-letter topic (one partition)."""
    where: Headers = [(REASON, letter.reason.encode()), (STREAM, letter.stream.encode())]
    if letter.position is not None:
        where += [(PARTITION, str(letter.position.partition).encode()), (OFFSET, str(letter.position.offset).encode())]
    return OutRecord(topic, 0, letter.key or b"", letter.value or b"", [*letter.headers, *where])


def from_dead_letter_record(
    key: bytes | None, value: bytes | None, headers: Sequence[tuple[str, bytes]], timestamp_ms: int
) -> DeadLetter:
    """The DeadLetter a dead-letter record holds (the original headers, without ours)."""
    ours = {name: raw.decode(errors="replace") for name, raw in headers if name in _OURS}
    position = (
        Position(int(ours[PARTITION]), int(ours[OFFSET])) if PARTITION in ours and OFFSET in ours else None
    )
    return DeadLetter(
        stream=ours.get(STREAM, ""),
        position=position,
        reason=ours.get(REASON, ""),
        key=key,
        value=value,
        headers=tuple((name, raw) for name, raw in headers if name not in _OURS),
        time=record_time(timestamp_ms),
    )


def newest_distinct(letters: Iterable[DeadLetter], limit: int) -> list[DeadLetter]:
    """The last `limit` letters, each original record once (a record seen by a reader and by a
    subscription, or redelivered, is dead-lettered more than once)."""
    seen: dict[object, DeadLetter] = {}
    for letter in letters:
        seen.setdefault((letter.stream, letter.position) if letter.position is not None else object(), letter)
    return list(seen.values())[-limit:] if limit > 0 else []
