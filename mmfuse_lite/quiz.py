"""Self-check quizzes: "check your understanding" questions at the end of each chapter.

Each chapter's questions live in :mod:`mmfuse_lite.quiz_bank`, the one source for both forms:

* ``as_markdown("ch3")`` is the static form the book shows: every question with its
  answer folded in a ``<details>`` element (one click opens it, in the HTML book and in
  Jupyter alike). The chapter's quiz cell holds exactly this text (tests/test_book.py).
* ``ask("ch3")`` is the interactive form for Jupyter and Colab (ipywidgets): pick a choice
  or type a number, press *Check*, and read whether it is right and why.

A question is multiple choice (``choices`` and the index of the right one) or numeric
(``choices=None``, a number and a tolerance).
"""
from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Question:
    prompt: str
    answer: int | float           # the index of the right choice, or the number itself
    explain: str                  # one line: why the answer is right
    choices: tuple[str, ...] | None = None
    tolerance: float = 0.0        # numeric answers within this distance count as right

    def __post_init__(self):
        if not self.prompt.strip() or not self.explain.strip():
            raise ValueError("a question needs a prompt and an explanation")
        if self.choices is not None:
            if len(self.choices) < 2:
                raise ValueError(f"a multiple-choice question needs at least 2 choices, got {len(self.choices)}")
            if not (isinstance(self.answer, int) and 0 <= self.answer < len(self.choices)):
                raise ValueError(f"answer must index one of the {len(self.choices)} choices, got {self.answer!r}")
        elif not (isinstance(self.answer, (int, float)) and math.isfinite(self.answer) and self.tolerance >= 0):
            raise ValueError(f"a numeric question needs a finite answer and a tolerance >= 0, "
                             f"got answer={self.answer!r}, tolerance={self.tolerance!r}")

    @property
    def right_answer(self) -> str:
        if self.choices is not None:
            return f"{'abcdefgh'[self.answer]}) {self.choices[self.answer]}"
        return f"{self.answer:g}" + (f" (within {self.tolerance:g})" if self.tolerance else "")

    def is_right(self, response) -> bool:
        """Whether a response is right: a choice index, or a number (a string is parsed)."""
        if self.choices is not None:
            return response == self.answer
        try:
            value = float(str(response).replace(",", "").strip())
        except ValueError:
            return False
        return abs(value - self.answer) <= self.tolerance + 1e-12


def questions(chapter: str) -> list[Question]:
    """The questions of one chapter, ``"ch1"`` ... ``"ch10"``."""
    from .quiz_bank import QUIZZES
    if chapter not in QUIZZES:
        raise KeyError(f"no quiz for chapter {chapter!r}; there are quizzes for {', '.join(QUIZZES)}")
    return QUIZZES[chapter]


def as_markdown(chapter: str) -> str:
    """The static quiz: numbered questions, each answer folded in a <details> element."""
    lines = ["## Check your understanding", "",
             "Answer each question before you open its answer. In Jupyter or Colab, the notebook's "
             f'next cell, `quiz.ask("{chapter}")`, asks the same questions with a *Check* button.']
    for n, q in enumerate(questions(chapter), 1):
        lines += ["", f"**{n}.** {q.prompt}"]
        if q.choices is not None:
            lines += [""] + [f"- {'abcdefgh'[i]}) {c}" for i, c in enumerate(q.choices)]
        lines += ["", f"<details><summary>Answer</summary>\n\n{q.right_answer}. {q.explain}\n\n</details>"]
    return "\n".join(lines)


def _html(text: str) -> str:
    """Markdown-ish question text as HTML for a widget: `<image>` shown, not parsed as a tag;
    `code` in a code font; $math$ left for MathJax."""
    parts = re.split(r"(`[^`]*`)", text)
    return "".join(f"<code>{html.escape(p[1:-1])}</code>" if p.startswith("`") and p.endswith("`") and len(p) > 1
                   else html.escape(p, quote=False) for p in parts)


def ask(chapter: str):
    """The interactive quiz (ipywidgets): one block per question, with a Check button."""
    import ipywidgets as W

    blocks = []
    for n, q in enumerate(questions(chapter), 1):
        text = f"<b>{n}.</b> {_html(q.prompt)}"
        if q.choices is not None:     # the choices in the text (math and code render there), letters to pick
            text += "<br>" + "<br>".join(f"{'abcdefgh'[i]}) {_html(c)}" for i, c in enumerate(q.choices))
            field = W.RadioButtons(options=[("abcdefgh"[i], i) for i in range(len(q.choices))], value=None,
                                   orientation="horizontal", layout=W.Layout(width="auto"))
        else:
            field = W.Text(placeholder="a number")
        prompt = W.HTMLMath(text)
        button, verdict = W.Button(description="Check"), W.HTMLMath()

        def check(_, q=q, field=field, verdict=verdict, misses=[0]):
            if field.value in (None, ""):
                verdict.value = "<i>Choose or type an answer first.</i>"
            elif q.is_right(field.value):
                verdict.value = f"<b style='color:green'>Right.</b> {_html(q.explain)}"
            else:
                misses[0] += 1         # one more try before the answer is given away
                verdict.value = ("<b style='color:#b00'>Not quite.</b> Try once more." if misses[0] < 2 else
                                 f"<b style='color:#b00'>Not quite.</b> The answer: {_html(q.right_answer)}. "
                                 f"{_html(q.explain)}")

        button.on_click(check)
        blocks.append(W.VBox([prompt, field, W.HBox([button, verdict])]))
    return W.VBox(blocks)
