"""ListIndex finds list items by a field as a scan would, as the folds replace and append to their lists."""

from projections.listindex import ListIndex


def test_finds_the_first_item_with_the_value_and_none_for_a_missing_one() -> None:
    first, second = {"name": "a", "n": 1}, {"name": "a", "n": 2}
    items = [first, {"name": "b"}, second]
    index = ListIndex("name")
    assert index.find(items, "a") is first
    assert index.find(items, "zzz") is None
    assert index.find(None, "a") is None
    assert index.find([], "a") is None


def test_sees_appended_items_and_replaced_lists() -> None:
    index = ListIndex("name")
    items = [{"name": "a"}]
    assert index.find(items, "b") is None
    appended = {"name": "b"}
    items.append(appended)
    assert index.find(items, "b") is appended
    replacement = [{"name": "b", "new": True}]
    assert index.find(replacement, "b") is replacement[0]
    assert index.find(items, "b") is appended


def test_starts_again_past_its_limit_and_still_answers() -> None:
    index = ListIndex("name", limit=2)
    lists = [[{"name": str(i)}] for i in range(5)]
    for i, items in enumerate(lists):
        assert index.find(items, str(i)) is items[0]
    assert index.find(lists[0], "0") is lists[0][0]
