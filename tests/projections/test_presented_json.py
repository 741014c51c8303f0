"""`PresentedJson`: the JSON form of a stored document, encoded once per version (identity)."""
from __future__ import annotations

import orjson

from projections.documents import PresentedJson, presented


def test_an_unchanged_document_is_encoded_once_and_a_new_version_again() -> None:
    encode = PresentedJson()
    doc = {"metadata": {"name": "a", "labels": {"z": "1", "b": "2"}}, "kind": "ConfigMap", "apiVersion": "v1"}
    first = encode(doc)
    assert encode(doc) is first
    assert first == orjson.dumps(presented(doc)) and orjson.loads(first) == doc
    changed = {**doc, "data": {"k": "v"}}
    assert orjson.loads(encode(changed)) == changed
    assert encode(doc) is first


def test_past_its_limit_the_cache_starts_again_and_stays_correct() -> None:
    encode = PresentedJson(limit=2)
    docs = [{"n": n} for n in range(5)]
    assert [orjson.loads(encode(d)) for d in docs] == docs
    assert [orjson.loads(encode(d)) for d in docs] == docs
