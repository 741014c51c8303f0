"""Reading which placements partitions an orchestrator serves from its log, and when a group has settled."""
from __future__ import annotations

from bench.orchestrators import describe, is_settled, served_partitions

LOG = """\
12:00:00,001 INFO orchestrator.service: now serving placements partition 0: 3 placement(s) rebuilt up to offset 9
12:00:00,002 INFO orchestrator.service: now serving placements partition 1: 0 placement(s) rebuilt up to offset 0
12:00:01,000 INFO aiokafka.consumer.group_coordinator: Revoking previously assigned partitions
12:00:01,100 INFO orchestrator.service: no longer serving placements partition 1
"""


def test_a_partition_given_up_is_no_longer_served() -> None:
    assert served_partitions(LOG) == {0}
    assert served_partitions("") == frozenset()


def test_a_group_is_settled_when_each_member_serves_some_and_every_partition_is_served_once() -> None:
    assert is_settled([frozenset({0, 2}), frozenset({1, 3})], 4)
    assert not is_settled([frozenset({0, 1, 2, 3}), frozenset()], 4)  # the second has not joined yet
    assert not is_settled([frozenset({0, 1}), frozenset({2})], 4)  # partition 3 is between owners
    assert not is_settled([frozenset({0, 1, 2}), frozenset({2, 3})], 4)  # 2 not given up yet
    assert describe([frozenset({2, 0}), frozenset()]) == "0,2 / -"
