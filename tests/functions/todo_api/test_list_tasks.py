"""todo-api list_tasks: filters, sort orders, keyset pagination and cursor errors."""

from __future__ import annotations

import base64
import json

import pytest

from functions.domain.tasks import PRIORITY_RANK
from functions.errors import Invalid
from tests.support.handlers import at, complete, create, listing, titles

SORTS = ["due_at", "-due_at", "priority", "-priority", "created_at", "-created_at"]


def seed(runtime):
    """Five tasks with distinct due times (one without), priorities with ties, tags and text."""
    return [
        create(runtime, title="Buy milk", priority="high", tags=["home", "shop"], due_at=at(48)),
        create(runtime, title="File taxes", priority="urgent", tags=["admin"], due_at=at(2)),
        create(runtime, title="Call mum", description="about the milkman", priority="low", tags=["home"]),
        create(runtime, title="Plan meeting", priority="high", tags=["work"], due_at=at(-24)),
        create(runtime, title="Water plants", priority="medium", tags=["home", "garden"], due_at=at(24)),
    ]


def expected_order(tasks, sort):
    descending = sort.startswith("-")
    name = sort.lstrip("-")

    def key(task):
        if name == "due_at":
            return (task.due_at is None, task.due_at or at(0), task.id)
        if name == "priority":
            return (PRIORITY_RANK[task.priority], task.id)
        return (task.created_at, task.id)

    return [t.title for t in sorted(tasks, key=key, reverse=descending)]


def test_default_lists_everything_oldest_first(runtime):
    tasks = seed(runtime)
    page = listing(runtime)
    assert titles(page) == [t.title for t in tasks]
    assert page.next_cursor is None


def test_filter_by_status(runtime):
    tasks = seed(runtime)
    complete(runtime, tasks[1].id)
    assert titles(listing(runtime, status="done")) == ["File taxes"]
    assert "File taxes" not in titles(listing(runtime, status="open"))
    assert len(listing(runtime, status="all").items) == 5


def test_filter_by_priority(runtime):
    seed(runtime)
    assert titles(listing(runtime, priority="high")) == ["Buy milk", "Plan meeting"]
    assert titles(listing(runtime, priority="low")) == ["Call mum"]


def test_filter_by_tags_is_an_and(runtime):
    seed(runtime)
    assert titles(listing(runtime, tag=["home"])) == ["Buy milk", "Call mum", "Water plants"]
    assert titles(listing(runtime, tag=["home", "shop"])) == ["Buy milk"]
    assert titles(listing(runtime, tag=["HOME", "garden"])) == ["Water plants"]
    assert titles(listing(runtime, tag=["home", "work"])) == []


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("mil", ["Buy milk", "Call mum"]),  # prefix, in title or description
        ("milkman", ["Call mum"]),
        ("MEET", ["Plan meeting"]),
        ("pl wat", ["Water plants"]),  # every word must match
        ("taxes!", ["File taxes"]),
        ("nothing", []),
    ],
)
def test_text_search_by_prefix(runtime, q, expected):
    seed(runtime)
    assert titles(listing(runtime, q=q)) == expected


def test_text_search_without_a_word_is_invalid(runtime):
    with pytest.raises(Invalid) as caught:
        listing(runtime, q="!?")
    assert caught.value.field == "q"


def test_filter_by_due_window(runtime):
    seed(runtime)
    assert titles(listing(runtime, due_before=at(24))) == ["File taxes", "Plan meeting"]
    assert titles(listing(runtime, due_after=at(24))) == ["Buy milk", "Water plants"]
    assert titles(listing(runtime, due_after=at(0), due_before=at(24))) == ["File taxes"]


def test_due_window_must_be_ordered(runtime):
    with pytest.raises(Invalid) as caught:
        listing(runtime, due_after=at(24), due_before=at(0))
    assert caught.value.field == "due_after"


@pytest.mark.parametrize("sort", SORTS)
def test_sort_orders(runtime, sort):
    tasks = seed(runtime)
    assert titles(listing(runtime, sort=sort)) == expected_order(tasks, sort)


def test_due_at_sorts_undated_last_and_priority_ranks_not_names(runtime):
    seed(runtime)
    assert titles(listing(runtime, sort="due_at"))[-1] == "Call mum"
    assert titles(listing(runtime, sort="-priority"))[0] == "File taxes"


@pytest.mark.parametrize("sort", SORTS)
def test_keyset_pagination_gives_every_task_once_in_order(runtime, sort):
    tasks = seed(runtime)
    pages, cursor = [], None
    while True:
        page = listing(runtime, sort=sort, limit=2, cursor=cursor)
        pages.append(titles(page))
        cursor = page.next_cursor
        if cursor is None:
            break
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [title for p in pages for title in p] == expected_order(tasks, sort)


def test_pagination_with_a_filter(runtime):
    seed(runtime)
    first = listing(runtime, tag=["home"], sort="-priority", limit=2)
    assert titles(first) == ["Buy milk", "Water plants"]
    rest = listing(runtime, tag=["home"], sort="-priority", limit=2, cursor=first.next_cursor)
    assert titles(rest) == ["Call mum"] and rest.next_cursor is None


def test_cursor_of_another_sort_is_invalid(runtime):
    seed(runtime)
    cursor = listing(runtime, sort="due_at", limit=2).next_cursor
    with pytest.raises(Invalid) as caught:
        listing(runtime, sort="priority", limit=2, cursor=cursor)
    assert caught.value.field == "cursor"
    assert "another sort" in caught.value.detail


def forged(*parts):
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "!!!",
        forged("created_at", "yesterday", "7b3b7c8e-8a8f-4b89-9a4a-0a0f6f3b1c11"),
        forged("created_at", None, "7b3b7c8e-8a8f-4b89-9a4a-0a0f6f3b1c11"),
        forged("created_at", "2026-01-01T00:00:00+00:00", "not-a-uuid"),
        forged("created_at", "2026-01-01T00:00:00+00:00"),
        base64.urlsafe_b64encode(b'{"a": 1}').decode(),
    ],
)
def test_garbage_cursor_is_invalid(runtime, cursor):
    with pytest.raises(Invalid) as caught:
        listing(runtime, cursor=cursor)
    assert caught.value.field == "cursor"


def test_priority_cursor_must_be_a_rank(runtime):
    with pytest.raises(Invalid) as caught:
        listing(runtime, sort="priority", cursor=forged("priority", "high", "7b3b7c8e-8a8f-4b89-9a4a-0a0f6f3b1c11"))
    assert caught.value.field == "cursor"


def test_boolean_priority_cursor_is_invalid(runtime):
    create(runtime)
    with pytest.raises(Invalid) as caught:
        listing(runtime, sort="priority", cursor=forged("priority", True, "7b3b7c8e-8a8f-4b89-9a4a-0a0f6f3b1c11"))
    assert caught.value.field == "cursor"
