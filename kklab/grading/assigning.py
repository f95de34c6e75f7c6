"""Give each expected list element a distinct actual element (bipartite matching).

Pure and iterative (no recursion, so no recursion limit): a greedy pass first,
which settles the common cases (interchangeable elements, elements found by key)
in time linear in the list length, then augmenting paths, breadth first, for
the rows the greedy pass could not place. ``compatible`` is called lazily and at
most once per pair.

Example:
    >>> pairs = {(0, 0), (0, 1), (1, 0)}
    >>> sorted(assign([0, 1], lambda row: [0, 1], lambda r, c: (r, c) in pairs).items())
    [(0, 1), (1, 0)]
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence


def assign(
    rows: Sequence[int],
    columns_of: Callable[[int], Iterable[int]],
    compatible: Callable[[int, int], bool],
) -> dict[int, int]:
    """A maximum set of ``row -> column`` pairs, each column used once.

    ``columns_of(row)`` lists the columns a row may take (all of them, or those
    with the row's key); ``compatible(row, column)`` says whether it fits.
    """
    cache: dict[tuple[int, int], bool] = {}

    def fits(row: int, column: int) -> bool:
        pair = (row, column)
        if pair not in cache:
            cache[pair] = compatible(row, column)
        return cache[pair]

    owner: dict[int, int] = {}
    placed: dict[int, int] = {}
    for row in rows:
        for column in columns_of(row):
            if column not in owner and fits(row, column):
                owner[column], placed[row] = row, column
                break
    for row in rows:
        if row not in placed:
            _augment(row, columns_of, fits, owner, placed)
    return placed


def _augment(
    start: int,
    columns_of: Callable[[int], Iterable[int]],
    fits: Callable[[int, int], bool],
    owner: dict[int, int],
    placed: dict[int, int],
) -> None:
    """Find a path from ``start`` to a free column (breadth first) and flip it."""
    reached_from: dict[int, int] = {}
    queue = deque([start])
    free: int | None = None
    while queue and free is None:
        row = queue.popleft()
        for column in columns_of(row):
            if column in reached_from or not fits(row, column):
                continue
            reached_from[column] = row
            if column not in owner:
                free = column
                break
            queue.append(owner[column])
    step: int | None = free
    while step is not None:
        row = reached_from[step]
        previous = placed.get(row)
        owner[step], placed[row] = row, step
        step = None if row == start else previous
