"""The bot's own words, in Danish (default) and English.

Every user-facing sentence lives here so a translator (or a reviewer checking the Danish) finds
them in one place.
"""

from __future__ import annotations

from typing import Literal

Locale = Literal["da", "en"]

MESSAGES: dict[str, dict[Locale, str]] = {
    "no_model": {
        "da": (
            "Der er ikke forbundet nogen sprogmodel til AarhusAI endnu, så den generelle assistent kan "
            "ikke svare på spørgsmål. En administrator kan forbinde en model i modelkataloget "
            "(AARHUSAI_MODELS_FILE). Skriv /hjælp for at se, hvad du kan gøre."
        ),
        "en": (
            "No language model is connected to AarhusAI yet, so the general assistant cannot answer "
            "questions. An administrator can connect one in the model catalogue "
            "(AARHUSAI_MODELS_FILE). Type /help to see what you can do."
        ),
    },
    "model_down": {
        "da": (
            "Sprogmodellen '{model}' svarer ikke lige nu. Prøv igen om lidt; fortsætter det, så kontakt "
            "en administrator."
        ),
        "en": "The language model '{model}' is not answering right now. Try again shortly; if it persists, "
        "contact an administrator.",
    },
    "model_timeout": {
        "da": (
            "Sprogmodellen '{model}' var for længe om at svare (over {seconds:g} sekunder). Prøv igen, "
            "gerne med et kortere spørgsmål."
        ),
        "en": "The language model '{model}' took too long to answer (over {seconds:g} seconds). Try again, "
        "perhaps with a shorter question.",
    },
    "model_error": {
        "da": "Sprogmodellen '{model}' afviste forespørgslen. En administrator kan se detaljer i loggen.",
        "en": (
            "The language model '{model}' rejected the request. An administrator can see details in the log."
        ),
    },
    "internal_error": {
        "da": "Beklager, der skete en fejl hos AarhusAI. Prøv igen; fejlen er logget med id {ref}.",
        "en": "Sorry, something went wrong in AarhusAI. Please try again; the error is logged as {ref}.",
    },
    "empty_message": {
        "da": "Skriv et spørgsmål, eller /hjælp for at se, hvad jeg kan.",
        "en": "Type a question, or /help to see what I can do.",
    },
    "unknown_command": {
        "da": "Kommandoen /{name} findes ikke. Skriv /hjælp for at se de kommandoer, der findes.",
        "en": "There is no command /{name}. Type /help to see the commands there are.",
    },
    "help_intro": {
        "da": (
            "Jeg er AarhusAI, kommunens AI-assistent. Skriv et spørgsmål, så svarer {assistant}. Kommandoer:"
        ),
        "en": "I am AarhusAI, the municipality's AI assistant. Ask a question and {assistant} answers. "
        "Commands:",
    },
    "help_model": {
        "da": "Sprogmodel: {model}.",
        "en": "Language model: {model}.",
    },
    "help_no_model": {
        "da": "Der er ikke forbundet nogen sprogmodel.",
        "en": "No language model is connected.",
    },
    "assistant_name": {"da": "den generelle assistent", "en": "the general assistant"},
    "cmd_help": {"da": "vis denne hjælp", "en": "show this help"},
    "needs_builder": {
        "da": "/{name} kræver rollen Builder. Spørg din afdelings faglige systemejer, hvis du skal have den.",
        "en": "/{name} needs the Builder role. Ask your department's owner if you should have it.",
    },
    "draft_only_builders": {
        "da": "Specialisten '{name}' er en kladde og kan kun bruges af Buildere endnu. Vælg en anden med "
        "/brug.",
        "en": "The specialist '{name}' is a draft and only Builders can use it yet. Choose another with "
        "/use.",
    },
    "files_personal_only": {
        "da": "Jeg kan ikke modtage filer her ({names}). Send dem til mig i en personlig chat, så bliver de "
        "kilder til den specialist, du redigerer.",
        "en": "I cannot receive files here ({names}). Send them to me in a personal chat and they become "
        "sources of the specialist you edit.",
    },
    "searching": {"da": "Søger i kilderne …", "en": "Searching the sources …"},
    "thinking": {"da": "Et øjeblik, jeg skriver et svar …", "en": "One moment, writing an answer …"},
    "tenant_refused": {
        "da": "AarhusAI er ikke åbnet for din organisation. Kontakt din administrator.",
        "en": "AarhusAI is not open to your organisation. Contact your administrator.",
    },
    "not_shared_with_you": {
        "da": "Specialisten '{name}' er ikke delt med dig. Vælg en anden med /brug; se /specialister.",
        "en": "The specialist '{name}' is not shared with you. Choose another with /use; see /specialists.",
    },
    "no_cleared_model": {
        "da": "Ingen sprogmodel i kataloget er godkendt til data klassificeret som {classification}, så "
        "jeg kan ikke svare. En administrator kan tilføje en godkendt model.",
        "en": "No language model in the catalogue is cleared for data classified as {classification}, so I "
        "cannot answer. An administrator can add a cleared model.",
    },
    "pii_blocked": {
        "da": "Dit spørgsmål indeholder personoplysninger ({found}), og sprogmodellen '{model}' er ikke "
        "godkendt til personoplysninger. Fjern dem, og spørg igen.",
        "en": "Your question contains personal data ({found}) and the language model '{model}' is not "
        "cleared for personal data. Remove it and ask again.",
    },
    "pii_warning": {
        "da": "⚠ Du har skrevet personoplysninger ({found}) til {name}, som ifølge sin screening ikke må se "
        "personoplysninger. Undlad det fremover.",
        "en": "⚠ You wrote personal data ({found}) to {name}, which according to its screening must not see "
        "personal data. Please avoid that.",
    },
    "welcome_title": {"da": "Velkommen til AarhusAI", "en": "Welcome to AarhusAI"},
    "welcome_button": {"da": "Vis specialister", "en": "Show specialists"},
    "welcome": {
        "da": "Hej! Jeg er AarhusAI. Stil mig et spørgsmål, eller skriv /hjælp.",
        "en": "Hi! I am AarhusAI. Ask me a question, or type /help.",
    },
}


def t(key: str, locale: str = "da", **values: object) -> str:
    """Look up a message in ``locale`` (falling back to Danish) and fill in ``values``."""
    entry = MESSAGES[key]
    text = entry.get(locale, entry["da"])  # type: ignore[call-overload]
    return text.format(**values) if values else text
