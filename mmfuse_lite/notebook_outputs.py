"""What an executed notebook must not show: noise under the cell that made it.

* a value echoed under the cell's printed output, because the cell's last line is a call that
  returns something: a bare ``True`` after a checker's message, a dict after a table that
  already printed it, or a matplotlib object (``<Figure size 640x480 ...>``, ``Text(0.5, ...)``)
  after a figure;
* the same figure twice, as when ``plt.show()`` follows a call that already displayed it.

The nbval run (``conftest.py``) fails a cell that shows either.
"""
from __future__ import annotations

import re

_BARE = re.compile(r"^(True|False|\{.*\})$", re.S)
_MATPLOTLIB = re.compile(r"^(<Figure size .*>|\[?<matplotlib\..*>\]?|Text\(.*\)|\[<matplotlib\..*)$", re.S)


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else value


def echoed_values(outputs) -> list[str]:
    """The ``execute_result`` outputs of one cell that are a bare True or False, a dict, or a
    matplotlib object's repr."""
    found = []
    for out in outputs:
        if out.get("output_type") != "execute_result":
            continue
        text = _text(out.get("data", {}).get("text/plain", "")).strip()
        if _BARE.match(text) or _MATPLOTLIB.match(text):
            found.append(text)
    return found


def duplicate_figures(outputs) -> int:
    """How many images of one cell's outputs repeat an earlier image of the same cell."""
    seen, repeats = set(), 0
    for out in outputs:
        png = out.get("data", {}).get("image/png")
        if png is None:
            continue
        png = _text(png).strip()
        repeats += png in seen
        seen.add(png)
    return repeats
