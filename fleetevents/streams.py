"""Stream names, their partition counts and the subject (partition key) of each kind of event."""
from eventstore import StreamSpec

FLEET = "fleet"
PLACEMENTS = "placements"
AGENTS = "agents"
HEARTBEATS = "heartbeats"

ALL_STREAMS = (
    StreamSpec(FLEET, partitions=1),
    StreamSpec(PLACEMENTS, partitions=8),
    StreamSpec(AGENTS, partitions=8),
    StreamSpec(HEARTBEATS, partitions=4),
)
STREAM_NAMES = tuple(spec.name for spec in ALL_STREAMS)


def object_subject(kind: str, name: str, namespace: str | None = None) -> str:
    """Subject of a hub object, strategy or member cluster event in the `fleet` stream."""
    return f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"
