"""The user's language, decided in one place for every door (Teams, ``/v1``, MCP).

Teams sends the client's locale (``en-US``, ``da-DK``) on each activity; the API doors get an
``Accept-Language`` header. Both are read the same way, so the same caller gets the same language
whichever door it uses.
"""

from __future__ import annotations


def user_locale(wanted: str | None, default: str) -> str:
    """``"en"`` or ``"da"`` when ``wanted`` (a locale tag or an ``Accept-Language`` value) starts with
    one of them, else ``default`` (the installation's ``AARHUSAI_LOCALE``)."""
    tag = (wanted or "").strip().lower()
    for locale in ("en", "da"):
        if tag.startswith(locale):
            return locale
    return default
