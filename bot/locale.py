"""The user's language, decided in one place for every door (Teams, ``/v1``, MCP).

Teams sends the client's locale (``en-US``, ``da-DK``) on each activity; the API doors get an
``Accept-Language`` header. Both are read the same way, so the same caller gets the same language
whichever door it uses.
"""

from __future__ import annotations

import re


def user_locale(wanted: str | None, default: str) -> str:
    """``"en"`` or ``"da"`` when ``wanted`` (a locale tag or an ``Accept-Language`` value) starts with
    one of them, else ``default`` (the installation's ``AARHUSAI_LOCALE``)."""
    tag = (wanted or "").strip().lower()
    for locale in ("en", "da"):
        if tag.startswith(locale):
            return locale
    return default


# Words that mark a question's language. Words both languages write ("i", "at", "for", "under",
# "over", "man") are in neither list: they say nothing about which one a question is in.
_ENGLISH = frozenset(
    """
    a an the and or of to is are was were be been do does did can could may might must shall should
    will would what which who whom whose when where why how much many long often this that these those
    it its my your our their his her they we you me him them there here not no please from with about
    get got have has had if than then any some
    """.split()
)
_DANISH = frozenset(
    """
    af alle alt anden andet andre bare begge blev blive bliver da de dem den denne der deres det dette
    dig din dine disse dit dog du efter eller en end er et fordi fra få får gør har havde have hele hos
    hvad hvem hver hvilke hvilken hvis hvor hvordan hvorfor hvornår ikke ind ingen intet jeg jer jeres
    kan kom kommer kun kunne mange med meget men mig min mine mit mod må ned noget nogle nu når og også
    om op os på sammen selv sig sin sine sit skal skulle som så sådan til ud var vi vil ville vor vores
    være været
    """.split()
)
_WORDS = re.compile(r"[^\W\d_]+")


def question_language(text: str) -> str | None:
    """``"da"`` or ``"en"`` when ``text``'s own words say which (function words, æ/ø/å), else None
    (too short or mixed: a name, "MitID?")."""
    lowered = text.lower()
    words = _WORDS.findall(lowered)
    danish = sum(w in _DANISH for w in words) + sum(1 for w in words if any(c in "æøå" for c in w))
    english = sum(w in _ENGLISH for w in words)
    if danish == english:
        return None
    return "da" if danish > english else "en"


def answer_locale(question: str, default: str) -> str:
    """The language an answer is written in: the question's own, else ``default`` (the client's or
    the request's). A Danish question from an English Teams client is answered in Danish."""
    return question_language(question) or default
