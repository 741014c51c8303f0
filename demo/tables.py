"""Reads kubectl-style tables back into rows, so outputs can be compared with the how-to's tables."""


def parse_table(text: str) -> list[dict[str, str]]:
    """Rows of a kubectl-style table as {COLUMN: value}; cells are cut at the header's column starts."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    header = lines[0]
    names = header.split()
    starts, pos = [], 0
    for name in names:
        pos = header.index(name, pos)
        starts.append(pos)
        pos += len(name)
    rows = []
    for line in lines[1:]:
        row = {}
        for i, name in enumerate(names):
            end = starts[i + 1] if i + 1 < len(starts) else None
            row[name] = line[starts[i]:end].strip()
        rows.append(row)
    return rows


def without(rows: list[dict[str, str]], *columns: str) -> list[dict[str, str]]:
    """The rows with the given columns (e.g. AGE) left out."""
    return [{k: v for k, v in row.items() if k not in columns} for row in rows]
