"""Hints: warnings about guides that are valid but probably not what the author wants.

One hint so far: a step that talks about a secret being shown (a token to copy, a password
that is displayed) while its screenshot has no `redact:`. Real screenshots leak real
secrets; the hint asks the author to look, it never fails a build.
"""

from __future__ import annotations

import re

from generator.errors import GuideError
from generator.loader import LoadedGuide

# "key" alone is too common ("the 'passed' key", "press any key"): it counts only as a
# kind of key that is a secret. Tokens, passwords and secrets always count.
_SECRET = re.compile(
    r"\b(?:(?P<word>token|password|secret)s?"
    r"|(?:api|ssh|private|access|secret|signing|deploy|encryption|licen[cs]e|gpg|pgp|your|new)"
    r"[ _-](?P<key>key)s?)\b",
    re.IGNORECASE,
)
# Words that say the secret is on the screen: only then is the screenshot likely to show it.
_SHOWN = re.compile(
    r"\b(?:cop(?:y|ied|ies)|saved?|show(?:s|n|ing)?|see|seen|reveal(?:s|ed)?"
    r"|display(?:s|ed)?|visible|paste[sd]?|value)\b",
    re.IGNORECASE,
)
_KEYBOARD = re.compile(r"\[\[[^\[\]\n]+\]\]")  # [[Enter]]: a key to press, not a secret


def secret_mentioned(*texts: str | None) -> str | None:
    """The secret a step's prose says is shown ('token', 'password', 'secret', 'key'), or None.

    Both must be there: a word for the secret and a word that says it is on the screen
    (copy, save, shown, see, reveal, displayed, visible, paste, value).
    """
    prose = _KEYBOARD.sub(" ", " ".join(text for text in texts if text))
    secret = _SECRET.search(prose)
    if secret is None or _SHOWN.search(prose) is None:
        return None
    return (secret["word"] or secret["key"]).lower()


def secret_hints(loaded: LoadedGuide) -> list[GuideError]:
    """A warning for each step that says a secret is shown and whose image has no redaction.

    `redact: []` says "I looked: nothing to hide", and silences the hint for that step.
    """
    hints = []
    for index, number, step in loaded.guide.indexed_steps():
        image = step.image
        if image is None or image.redact or "redact" in image.model_fields_set:
            continue
        word = secret_mentioned(step.text, step.tip, step.alert)
        if word is None:
            continue
        hints.append(loaded.problem(
            ("steps", index, "image"),
            f"the text mentions {word!r} but the screenshot has no redaction; "
            "add `redact:` if it shows a secret",
            "warning", step=number,
        ))
    return hints
