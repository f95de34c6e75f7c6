"""The wording for a missing object: near misses here, the same name elsewhere."""

from __future__ import annotations

from kklab.grading.suggesting import near_misses, why_missing


def test_near_misses_are_mistypings_not_other_names() -> None:
    assert near_misses("hello", ["helo", "web", "cart", "hello"]) == ["helo"]
    assert near_misses("writer", ["writter", "reader"]) == ["writter"]
    assert near_misses("web", ["wbe", "db"]) == ["wbe"]
    assert near_misses("data", ["logs", "cache"]) == []
    assert near_misses("hello", []) == []


def test_wording_for_one_or_several_near_misses() -> None:
    assert why_missing("Pod", "hello", "ns", ["helo"], []) == "found pod helo: did you mean hello?"
    assert why_missing("PersistentVolumeClaim", "data", "ns", ["dta", "date"], []) == (
        "found persistentvolumeclaims dta and date: did you mean data?"
    )


def test_wording_for_another_namespace_names_both_and_the_fix() -> None:
    why = str(why_missing("Pod", "hello", "lab-01-pods", [], ["default", "lab-07-storage"]))
    assert why.startswith(
        "pod hello exists in namespaces default and lab-07-storage, not lab-01-pods:"
    )
    assert "--namespace lab-01-pods" in why and "-n" in why


def test_nothing_to_suggest_gives_no_why() -> None:
    assert why_missing("Pod", "hello", "ns", [], []) is None
