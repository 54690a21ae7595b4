"""What an executed notebook must not show: a value echoed under the cell that made it.

A cell whose last line is a call that returns something shows that value under the
cell's printed output: a bare ``True`` after a checker's message, a dict after a table
that already printed it. The nbval run (``conftest.py``) fails such a cell.
"""
from __future__ import annotations

import re

_BARE = re.compile(r"^(True|False|\{.*\})$", re.S)


def echoed_values(outputs) -> list[str]:
    """The ``execute_result`` outputs of one cell that are a bare True or False, or a dict."""
    found = []
    for out in outputs:
        if out.get("output_type") != "execute_result":
            continue
        text = out.get("data", {}).get("text/plain", "")
        text = "".join(text) if isinstance(text, list) else text
        if _BARE.match(text.strip()):
            found.append(text.strip())
    return found
