"""Everything the bot says, in Danish (default) and English: one catalogue for every door.

Values fill ``{name}`` fields. Plurals: ``{n:p:kilde|kilder}`` gives "1 kilde" / "3 kilder"; a whole
sentence that changes with a number is a ``(one, other)`` pair chosen by the value ``count``. Values that
are enum members (sharing levels, roles) and ``AppError``s are rendered in the message's language.
"""

from __future__ import annotations

import string
from enum import Enum
from typing import Any, Literal

Locale = Literal["da", "en"]
Text = str | tuple[str, str]

MESSAGES: dict[str, dict[str, Text]] = {
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
    "config_error": {  # ConfigError: its str() is already one Danish line naming the setting or file
        "da": "{detail}",
        "en": "{detail}",
    },
    "security_refused": {
        "da": "AarhusAI afviste handlingen af sikkerhedshensyn. En administrator kan se detaljer i loggen.",
        "en": "AarhusAI refused the operation for security reasons. An administrator can see details in the log.",
    },
    "endpoint_failed": {
        "da": "En tjeneste, AarhusAI søger med, svarer ikke lige nu. Prøv igen om lidt; fortsætter det, så kontakt en administrator.",
        "en": "A service AarhusAI searches with is not answering right now. Try again shortly; if it persists, contact an administrator.",
    },
    "endpoint_refused": {
        "da": "AarhusAI sendte ikke forespørgslen: tjenesten må ikke se data som disse. En administrator kan se detaljer i loggen.",
        "en": "AarhusAI did not send the request: the service may not see data like this. An administrator can see details in the log.",
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


MESSAGES.update(
    {
        # -- refusals: the role a permission needs ----------------------------------------------
        "needs_build": {
            "da": "/{command} kræver rollen Builder. Spørg din afdelings faglige systemejer, hvis du skal have den.",
            "en": "/{command} needs the Builder role. Ask your department's owner if you should have it.",
        },
        "needs_edit": {
            "da": "/{command} kræver rollen Builder i specialistens afdeling. Spørg din afdelings faglige "
            "systemejer, hvis du skal have den.",
            "en": "/{command} needs the Builder role in the specialist's department. Ask your department's "
            "owner if you should have it.",
        },
        "needs_approve": {
            "da": "/{command} kræver rollen faglig systemejer for specialistens afdeling. Spørg din afdelings "
            "faglige systemejer, hvis du skal have den.",
            "en": "/{command} needs the department owner role for the specialist's department. Ask your "
            "department's owner if you should have it.",
        },
        "needs_stats": {
            "da": "/{command} kræver rollen Builder eller faglig systemejer. Spørg din afdelings faglige "
            "systemejer, hvis du skal have den.",
            "en": "/{command} needs the Builder or department owner role. Ask your department's owner if you "
            "should have it.",
        },
        "needs_roles": {
            "da": "/{command} kræver rollen administrator eller faglig systemejer. Spørg din afdelings faglige "
            "systemejer, hvis du skal have den.",
            "en": "/{command} needs the administrator or department owner role. Ask your department's owner "
            "if you should have it.",
        },
        "needs_admin": {
            "da": "/{command} kræver rollen administrator. Spørg din afdelings faglige systemejer, hvis du skal "
            "have den.",
            "en": "/{command} needs the administrator role. Ask your department's owner if you should have it.",
        },
        "assign_needs_admin": {
            "da": "At give eller fjerne rollen {role} kræver rollen administrator.",
            "en": "Giving or removing the role {role} needs the administrator role.",
        },
        "assign_needs_owner": {
            "da": "At give eller fjerne rollen {role} kræver rollen faglig systemejer i {department}.",
            "en": "Giving or removing the role {role} needs the department owner role in {department}.",
        },
        "not_builder_in": {
            "da": "Du er ikke Builder i {department}.",
            "en": "You are not a Builder in {department}.",
        },
        "several_departments": {
            "da": "Du er Builder i flere afdelinger; skriv hvilken: /ny <navn> afdeling=<{names}>",
            "en": "You are a Builder in several departments; say which: /new <name> department=<{names}>",
        },
        "uploads_builders_only": {
            "da": "Kun Buildere kan give en specialist kilder. Spørg din afdelings Builder.",
            "en": "Only Builders can give a specialist sources. Ask your department's Builder.",
        },
        "uploads_no_target": {
            "da": "Vælg først, hvilken specialist filerne skal til: /rediger <navn> eller /ny <navn>.",
            "en": "First choose the specialist the files are for: /edit <name> or /new <name>.",
        },
        "no_edit_target": {
            "da": "Vælg først en specialist at redigere med /rediger <navn> (eller opret en med /ny <navn>).",
            "en": "First choose a specialist to edit with /edit <name> (or create one with /new <name>).",
        },
        # -- specialists --------------------------------------------------------------------------
        "specialist_unknown": {
            "da": "Specialisten '{ref}' findes ikke. Skriv /specialister for at se dem, der findes.",
            "en": "There is no specialist '{ref}'. Type /specialists to see the ones there are.",
        },
        "specialist_gone": {
            "da": "Specialisten findes ikke længere.",
            "en": "The specialist no longer exists.",
        },
        "specialist_needs_name": {
            "da": "Giv specialisten et navn, fx: /ny Byggesagsguiden",
            "en": "Give the specialist a name, e.g. /new Building Permits Guide",
        },
        "slug_invalid": {
            "da": "'{slug}' kan ikke bruges som kort navn (små bogstaver, tal og bindestreg).",
            "en": "'{slug}' cannot be used as a short name (lower-case letters, digits and hyphens).",
        },
        "slug_exists": {
            "da": "Der findes allerede en specialist med det korte navn '{slug}'.",
            "en": "There already is a specialist with the short name '{slug}'.",
        },
        "general_has_no_sources": {
            "da": "Den generelle assistent har ingen kilder; vælg en specialist.",
            "en": "The general assistant has no sources; choose a specialist.",
        },
        "use_which": {
            "da": "Skriv hvilken specialist, fx: /brug borgerservice. Se /specialister.",
            "en": "Say which specialist, e.g. /use borgerservice. See /specialists.",
        },
        "specialists_title": {"da": "Specialister, du kan bruge:", "en": "Specialists you can use:"},
        "specialists_choose": {"da": "Vælg med /brug <navn>.", "en": "Choose one with /use <name>."},
        "specialists_card_title": {"da": "Specialister", "en": "Specialists"},
        "use_button": {"da": "Brug", "en": "Use"},
        "answers_here": {"da": "svarer her", "en": "answers here"},
        "answers_here_mark": {"da": " · **svarer her**", "en": " · **answers here**"},
        "draft": {"da": "kladde", "en": "draft"},
        "draft_mark": {"da": " · kladde", "en": " · draft"},
        "now_answering_conversation": {
            "da": "Nu svarer **{name}** i denne samtale.",
            "en": "**{name}** now answers in this conversation.",
        },
        "now_answering_thread": {
            "da": "Nu svarer **{name}** i denne tråd (skriv /brug <navn> kanal for hele kanalen).",
            "en": "**{name}** now answers in this thread (type /use <name> channel for the whole channel).",
        },
        "now_answering_channel": {
            "da": "Nu svarer **{name}** som standard i hele kanalen.",
            "en": "**{name}** now answers by default in the whole channel.",
        },
        "specialist_created": {
            "da": "Specialisten **{name}** (`{slug}`) er oprettet som kladde, og du redigerer den nu.\n"
            "Send filer (PDF, Word, HTML, Markdown eller tekst) her i chatten for at give den kilder, ret "
            "prompten med /prompt <tekst>, og prøv den med /brug {slug}.",
            "en": "The specialist **{name}** (`{slug}`) is created as a draft, and you are editing it now.\n"
            "Send files (PDF, Word, HTML, Markdown or text) in this chat to give it sources, change the "
            "prompt with /prompt <text>, and try it with /use {slug}.",
        },
        "now_editing": {
            "da": "Du redigerer nu **{name}**. Filer, du sender, bliver kilder til den.",
            "en": "You are now editing **{name}**. Files you send become its sources.",
        },
        "prompt_shown": {
            "da": "Prompt for **{name}** (version {version}, {author}):\n\n{text}",
            "en": "Prompt of **{name}** (version {version}, {author}):\n\n{text}",
        },
        "prompt_history_title": {
            "da": "Prompt-historik for **{name}**:",
            "en": "Prompt history of **{name}**:",
        },
        "prompt_history_restore": {
            "da": "Gendan med /prompt gendan <nummer>.",
            "en": "Restore one with /prompt restore <number>.",
        },
        "prompt_restore_which": {
            "da": "Skriv versionsnummeret, fx /prompt gendan 2.",
            "en": "Give the version number, e.g. /prompt restore 2.",
        },
        "prompt_restored": {
            "da": "Version {number} er gendannet som ny version {version}.",
            "en": "Version {number} is restored as new version {version}.",
        },
        "prompt_saved": {
            "da": "Prompten for **{name}** er gemt som version {version}.",
            "en": "The prompt of **{name}** is saved as version {version}.",
        },
        "prompt_missing": {"da": "Specialisten har ingen prompt.", "en": "The specialist has no prompt."},
        "prompt_empty": {"da": "Prompten må ikke være tom.", "en": "The prompt must not be empty."},
        "prompt_conflict": {
            "da": "Prompten blev ændret samtidig af en anden. Prøv igen.",
            "en": "Someone else changed the prompt at the same time. Try again.",
        },
        "prompt_version_unknown": {
            "da": "Version {version} findes ikke. Se /prompt historik.",
            "en": "There is no version {version}. See /prompt history.",
        },
        "prompt_version_part": {"da": "prompt version {version}", "en": "prompt version {version}"},
        # -- settings ----------------------------------------------------------------------------
        "tunable_temperatur": {
            "da": "hvor frit modellen formulerer sig",
            "en": "how freely the model words it",
        },
        "tunable_top_k": {"da": "antal kildeuddrag pr. svar", "en": "source passages per answer"},
        "tunable_chunk_size": {"da": "tegn pr. kildeuddrag ved indlæsning", "en": "characters per passage"},
        "tunable_chunk_overlap": {"da": "overlap mellem uddrag i tegn", "en": "overlap between passages"},
        "tunable_model": {"da": "sprogmodel fra modelkataloget", "en": "language model from the catalogue"},
        "tunable_navn": {"da": "visningsnavn", "en": "display name"},
        "tunable_beskrivelse": {"da": "kort beskrivelse", "en": "short description"},
        "tunable_afdeling": {"da": "magistratsafdeling", "en": "department"},
        "tunable_status": {"da": "kladde eller udgivet", "en": "draft or published"},
        "tunable_cpr_i_kilder": {
            "da": "CPR-numre i kilder, når screeningen siger data=ingen: afvis filen eller skjul numrene",
            "en": "CPR numbers in sources when the screening says data=none: refuse the file or redact the "
            "numbers",
        },
        "setting_choice": {
            "da": "{name} skal være en af: {choices}.",
            "en": "{name} must be one of: {choices}.",
        },
        "setting_unknown": {
            "da": "Ukendt indstilling '{key}'. Tilladte: {allowed}.",
            "en": "Unknown setting '{key}'. Allowed: {allowed}.",
        },
        "setting_needs_value": {
            "da": "Angiv en værdi for {name}: {help}.",
            "en": "Give a value for {name}: {help}.",
        },
        "setting_number": {
            "da": "{name} skal være et tal: {help}.",
            "en": "{name} must be a number: {help}.",
        },
        "setting_range": {
            "da": "{name} skal ligge i intervallet {low}–{high}.",
            "en": "{name} must be in the range {low}–{high}.",
        },
        "setting_status": {
            "da": "status skal være en af: {choices}.",
            "en": "status must be one of: {choices}.",
        },
        "setting_model_unknown": {
            "da": "Modellen '{model}' findes ikke i modelkataloget. Kendte modeller: {known}.",
            "en": "The model '{model}' is not in the model catalogue. Known models: {known}.",
        },
        "setting_overlap": {
            "da": "chunk_overlap skal være mindre end chunk_size ({size}).",
            "en": "chunk_overlap must be smaller than chunk_size ({size}).",
        },
        "setting_size": {
            "da": "chunk_size skal være større end chunk_overlap ({overlap}).",
            "en": "chunk_size must be larger than chunk_overlap ({overlap}).",
        },
        "status_via_publish": {
            "da": "Status ændres med /udgiv (efter screening og godkendelse) og /afpubliser.",
            "en": "The status is changed with /publish (after screening and approval) and /unpublish.",
        },
        "setting_set": {
            "da": "{key} er sat til {value} for **{name}**.{note}",
            "en": "{key} is set to {value} for **{name}**.{note}",
        },
        "chunk_note": {
            "da": " Det gælder nye kilder; kør /genindekser for de eksisterende.",
            "en": " That applies to new sources; run /reindex for the existing ones.",
        },
        "default_model": {"da": "standard", "en": "default"},
        "settings_shown": {
            "da": "Indstillinger for **{name}**: {current}.\nTilladte: {allowed}.",
            "en": "Settings of **{name}**: {current}.\nAllowed: {allowed}.",
        },
        "byline": {"da": "Skrevet af {model}", "en": "Written by {model}"},
        "byline_where": {"da": "Skrevet af {model} · {where}", "en": "Written by {model} · {where}"},
        "label_offentlig": {
            "da": "Specialisten ser kun offentlige oplysninger.",
            "en": "The specialist sees public information only.",
        },
        "label_intern": {
            "da": "Specialisten ser interne oplysninger uden personoplysninger.",
            "en": "The specialist sees internal information without personal data.",
        },
        "label_fortrolig": {
            "da": "Specialisten kan se almindelige personoplysninger.",
            "en": "The specialist may see ordinary personal data.",
        },
        "label_personfølsom": {
            "da": "Specialisten kan se følsomme personoplysninger og CPR-numre.",
            "en": "The specialist may see sensitive personal data and CPR numbers.",
        },
        "answer_stopped": {"da": "Du stoppede svaret her.", "en": "You stopped the answer here."},
        "answer_cut": {
            "da": "Svaret blev afbrudt, fordi det tog for lang tid. Stil gerne et mere afgrænset spørgsmål.",
            "en": "The answer was cut off because it took too long. Try a narrower question.",
        },
        "card_title": {"da": "Indstillinger for {name}", "en": "Settings of {name}"},
        "card_name": {"da": "Navn", "en": "Name"},
        "card_description": {
            "da": "Beskrivelse (vises på specialistkortet; kræves for at udgive)",
            "en": "Description (shown on the specialists card; needed to publish)",
        },
        "card_prompt": {"da": "Prompt", "en": "Prompt"},
        "card_model": {"da": "Sprogmodel", "en": "Language model"},
        "card_default_model": {"da": "Standard (katalogets)", "en": "Default (the catalogue's)"},
        "card_model_not_cleared": {
            "da": "{model} (ikke godkendt til {classification})",
            "en": "{model} (not cleared for {classification})",
        },
        "card_no_models": {
            "da": "Sprogmodel: ingen i modelkataloget, så specialisten svarer med kildeuddrag alene.",
            "en": "Language model: none in the model catalogue, so the specialist answers with passages only.",
        },
        "card_models_cleared": {
            "da": "Listen viser de modeller, der er godkendt til specialistens data ({classification}).",
            "en": "The list shows the models cleared for the specialist's data ({classification}).",
        },
        "card_temperature": {"da": "Temperatur", "en": "Temperature"},
        "card_top_k": {"da": "Kildeuddrag pr. svar", "en": "Passages per answer"},
        "card_chunk_size": {"da": "Afsnitsstørrelse i tegn", "en": "Passage size in characters"},
        "card_chunk_overlap": {
            "da": "Overlap mellem afsnit i tegn",
            "en": "Overlap between passages in characters",
        },
        "card_cpr": {"da": "CPR-numre i nye kilder", "en": "CPR numbers in new sources"},
        "card_cpr_afvis": {"da": "Afvis filen", "en": "Refuse the file"},
        "card_cpr_skjul": {"da": "Skjul numrene", "en": "Hide the numbers"},
        "card_save": {"da": "Gem", "en": "Save"},
        "card_other_specialist": {
            "da": "Kortet hører til en anden specialist end den, du redigerer nu (**{name}**). Hent kortet igen.",
            "en": "The card belongs to another specialist than the one you edit now (**{name}**). Get the card "
            "again.",
        },
        "setting_model_none": {
            "da": "Der er ingen sprogmodeller i modelkataloget, så specialisten svarer med kildeuddrag alene. "
            "En administrator forbinder en model (AARHUSAI_MODELS_FILE).",
            "en": "There are no language models in the model catalogue, so the specialist answers with passages "
            "only. An administrator connects one (AARHUSAI_MODELS_FILE).",
        },
        "setting_model_not_cleared": {
            "da": "Modellen '{model}' er ikke godkendt til specialistens data ({classification}). "
            "Godkendte modeller: {cleared}.",
            "en": "The model '{model}' is not cleared for the specialist's data ({classification}). "
            "Cleared models: {cleared}.",
        },
        # -- the screening and sharing cards ------------------------------------------------------
        "screening_card_title": {"da": "Screening af {name}", "en": "Screening of {name}"},
        "screening_card_help": {
            "da": "Svarene bestemmer specialistens klassifikation og dermed, hvilke sprogmodeller der må se den.",
            "en": "The answers set the specialist's classification and so which language models may see it.",
        },
        "screening_field_purpose": {
            "da": "Formål: hvad bruges specialisten til?",
            "en": "Purpose: what is the specialist for?",
        },
        "screening_field_data": {
            "da": "Hvilke personoplysninger kan spørgsmål og kilder indeholde?",
            "en": "Which personal data may questions and sources hold?",
        },
        "screening_choice_ingen": {"da": "Ingen personoplysninger", "en": "No personal data"},
        "screening_choice_almindelige": {
            "da": "Almindelige personoplysninger (navn, adresse, sagsforhold)",
            "en": "Ordinary personal data (name, address, case details)",
        },
        "screening_choice_følsomme": {
            "da": "Følsomme oplysninger (helbred, etnisk oprindelse, fagforening m.m.)",
            "en": "Sensitive data (health, ethnic origin, trade union and the like)",
        },
        "screening_choice_cpr": {"da": "CPR-numre", "en": "CPR numbers"},
        "screening_field_sources": {"da": "Kilderne er", "en": "The sources are"},
        "screening_field_legal": {"da": "Hjemmel (retsgrundlag)", "en": "Legal basis"},
        "screening_field_dpia": {
            "da": "Der skal laves en konsekvensanalyse (DPIA)",
            "en": "An impact assessment (DPIA) is needed",
        },
        "screening_field_responsible": {"da": "Ansvarlig (navn)", "en": "Responsible (name)"},
        "screening_card_save": {"da": "Gem screening", "en": "Save screening"},
        "sharing_card_title": {"da": "Deling af {name}", "en": "Sharing of {name}"},
        "sharing_field": {"da": "Hvem må bruge specialisten?", "en": "Who may use the specialist?"},
        "sharing_choice_personal": {"da": "Kun dig (personlig)", "en": "Only you (personal)"},
        "sharing_choice_team": {
            "da": "Denne kanal eller gruppechat (team)",
            "en": "This channel or group chat (team)",
        },
        "sharing_choice_department": {
            "da": "Din afdeling (afdeling); kræver ejerens godkendelse",
            "en": "Your department (department); needs the owner's approval",
        },
        "sharing_choice_organisation": {
            "da": "Hele organisationen (organisation); kræver ejerens godkendelse",
            "en": "The whole organisation (organisation); needs the owner's approval",
        },
        "sharing_team_elsewhere": {
            "da": "Deling med et team vælges i teamets kanal eller gruppechat.",
            "en": "Sharing with a team is chosen in the team's channel or group chat.",
        },
        "sharing_card_save": {"da": "Gem deling", "en": "Save sharing"},
        "sharing_now": {
            "da": "**{name}** deles på niveauet {sharing}.",
            "en": "**{name}** is shared at the level {sharing}.",
        },
        "nothing_saved": {"da": "Intet er gemt: {errors}", "en": "Nothing was saved: {errors}"},
        "no_changes": {"da": "Ingen ændringer at gemme.", "en": "No changes to save."},
        "settings_saved": {"da": "Gemt for **{name}**: {saved}.", "en": "Saved for **{name}**: {saved}."},
        # -- sources -----------------------------------------------------------------------------
        "sources_none": {
            "da": "**{name}** har ingen kilder endnu. Send filer her i chatten for at tilføje.",
            "en": "**{name}** has no sources yet. Send files in this chat to add some.",
        },
        "sources_title": {"da": "Kilder for **{name}**:", "en": "Sources of **{name}**:"},
        "source_line": {
            "da": "- {name} ({kind}{pages}): {chunks} uddrag, indekseret · tilføjet {added} af {by}{warn}",
            "en": "- {name} ({kind}{pages}): {chunks:p:passage|passages}, indexed · added {added} by {by}{warn}",
        },
        "pages_part": {"da": ", {pages:p:side|sider}", "en": ", {pages:p:page|pages}"},
        "page_part": {"da": ", side {page}", "en": ", page {page}"},
        "sources_total": {
            "da": "I alt {sources:p:kilde|kilder} og {chunks} uddrag.",
            "en": "In all {sources:p:source|sources} and {chunks:p:passage|passages}.",
        },
        "remove_which": {
            "da": "Skriv hvilken kilde, fx /fjern retningslinjer.pdf. Se /kilder.",
            "en": "Say which source, e.g. /remove guidelines.pdf. See /sources.",
        },
        "eval_model_unknown": {
            "da": "Modellen '{model}' findes ikke i modelkataloget.",
            "en": "There is no model '{model}' in the model catalogue.",
        },
        "eval_model_not_cleared": {
            "da": "Modellen '{model}' er ikke godkendt til {classification} data, så {name} evalueres ikke på den; intet er sendt til den.",
            "en": "The model '{model}' is not cleared for {classification} data, so {name} is not evaluated on it; nothing was sent to it.",
        },
        "embedder_unknown": {
            "da": "Embedderen '{name}' kendes ikke: brug multilingual-e5-small, all-MiniLM-L6-v2 eller stien til en sentence-transformers-model på disken (kun lokale modeller; intet sendes ud).",
            "en": "Unknown embedder '{name}': use multilingual-e5-small, all-MiniLM-L6-v2 or the path to a sentence-transformers model on disk (local models only; nothing is sent out).",
        },
        "source_unknown": {
            "da": "Kilden '{name}' findes ikke. Se /kilder.",
            "en": "There is no source '{name}'. See /sources.",
        },
        "source_removed": {
            "da": "Kilden {source} ({chunks} uddrag) er fjernet fra **{name}**.",
            "en": "The source {source} ({chunks:p:passage|passages}) is removed from **{name}**.",
        },
        "reindexed": {
            "da": "**{name}** er genindekseret: {sources:p:kilde|kilder}, {chunks} uddrag (chunk_size {size}, "
            "overlap {overlap}).",
            "en": "**{name}** is reindexed: {sources:p:source|sources}, {chunks:p:passage|passages} "
            "(chunk_size {size}, overlap {overlap}).",
        },
        "ingest_started": {
            "da": "Indlæser {name} i **{specialist}** …",
            "en": "Reading {name} into **{specialist}** …",
        },
        "ingest_progress": {
            "da": "{name}: {pct} % ({done} af {total} uddrag)",
            "en": "{name}: {pct} % ({done} of {total} passages)",
        },
        "source_added": {
            "da": "✅ {source} er tilføjet: {chunks} uddrag{pages} ({seconds:.1f} s).",
            "en": "✅ {source} is added: {chunks:p:passage|passages}{pages} ({seconds:.1f} s).",
        },
        "source_replaced": {
            "da": "✅ {source} er erstattet: {chunks} uddrag{pages} ({seconds:.1f} s).",
            "en": "✅ {source} is replaced: {chunks:p:passage|passages}{pages} ({seconds:.1f} s).",
        },
        "note_warnings": {"da": "Bemærk: {warnings}.", "en": "Note: {warnings}."},
        "ingest_refused": {
            "da": "'{filename}' blev ikke tilføjet: {reason}.",
            "en": "'{filename}' was not added: {reason}.",
        },
        "ingest_empty": {"da": "filen er tom", "en": "the file is empty"},
        "ingest_no_text": {"da": "filen indeholder ingen tekst", "en": "the file contains no text"},
        "ingest_scanned_pdf": {
            "da": "PDF'en indeholder ingen tekst, kun billeder (den er nok skannet). Kør tekstgenkendelse "
            "(OCR) på den, og send den igen",
            "en": "the PDF contains no text, only images (it is probably scanned). Run text recognition "
            "(OCR) on it and send it again",
        },
        "ingest_corrupt": {
            "da": "filen kan ikke læses; den er måske beskadiget eller ikke den filtype, navnet siger",
            "en": "the file cannot be read; it may be damaged or not the type its name says",
        },
        "ingest_encrypted": {
            "da": "filen er beskyttet med adgangskode. Fjern beskyttelsen, og send den igen",
            "en": "the file is password-protected. Remove the protection and send it again",
        },
        "ingest_unsupported": {
            "da": "filtypen {ext} understøttes ikke (understøttet: PDF, Word (.docx), HTML, Markdown og tekst)",
            "en": "the file type {ext} is not supported (supported: PDF, Word (.docx), HTML, Markdown and text)",
        },
        "ingest_too_large": {
            "da": "filen fylder {size_mb:.1f} MB; grænsen er {limit_mb} MB",
            "en": "the file is {size_mb:.1f} MB; the limit is {limit_mb} MB",
        },
        "ingest_too_complex": {
            "da": "filen er for kompleks til at blive læst (den kræver for meget hukommelse)",
            "en": "the file is too complex to read (it needs too much memory)",
        },
        "ingest_timeout": {
            "da": "det tog over {seconds:g} sekunder at læse filen, så den er afvist. Del den op, eller gem den "
            "som PDF eller tekst",
            "en": "reading the file took over {seconds:g} seconds, so it was refused. Split it up, or save it "
            "as PDF or text",
        },
        "ingest_too_much_text": {
            "da": "filen indeholder over {limit} tegn tekst; del den op i flere filer",
            "en": "the file holds over {limit} characters of text; split it into several files",
        },
        "ingest_too_many_parts": {
            "da": "filen har {count} sider eller afsnit; grænsen er {limit}",
            "en": "the file has {count} pages or paragraphs; the limit is {limit}",
        },
        "ingest_zip_bomb": {
            "da": "filen pakker sig ud til langt mere, end en Word-fil gør (mistænkelig komprimering)",
            "en": "the file unpacks to far more than a Word file does (suspicious compression)",
        },
        "ingest_embedding_refused": {
            "da": "filen indeholder {found}, og søgeindeksets model (embeddings) er ikke godkendt til at se "
            "personoplysninger. Intet er sendt eller gemt",
            "en": "the file contains {found}, and the search index's model (embeddings) is not cleared to see "
            "personal data. Nothing was sent or stored",
        },
        "ingest_embedding_failed": {
            "da": "søgeindeksets model (embeddings) svarede ikke ({detail}). Intet er gemt; prøv igen om lidt",
            "en": "the search index's model (embeddings) did not answer ({detail}). Nothing was stored; try again shortly",
        },
        "ingest_personal_data": {
            "da": "filen indeholder {found}, og {name} er screenet til ikke at se personoplysninger. Fjern "
            "numrene fra filen, eller lad Builderen vælge /indstil cpr_i_kilder skjul, så gemmes den uden dem",
            "en": "the file contains {found}, and {name} is screened as seeing no personal data. Remove the "
            "numbers from the file, or let the Builder choose /set cpr_in_sources redact to store it without them",
        },
        "content_outranks": {
            "da": "Intet er ændret: {name} kan ikke være {classification} og samtidig have kilder med "
            "CPR-numre ({found} i {sources}). Fjern kilderne med /fjern, eller lad Builderen vælge /indstil "
            "cpr_i_kilder skjul, så fjernes numrene fra den gemte tekst, filnavne og overskrifter.",
            "en": "Nothing was changed: {name} cannot be {classification} while its sources hold CPR "
            "numbers ({found} in {sources}). Remove those sources with /remove, or let the Builder choose "
            "/set cpr_in_sources redact to remove the numbers from the stored text, file names and headings.",
        },
        "content_fields_outrank": {
            "da": "Intet er ændret: {name} er {classification} og må ikke have CPR-numre, men dens {fields} "
            "indeholder {found}. Skriv dem uden numrene (/indstil navn …, /indstil beskrivelse …, /prompt, "
            "/test), og prøv igen.",
            "en": "Nothing was changed: {name} is {classification} and may not hold CPR numbers, but its "
            "{fields} contain {found}. Write them without the numbers (/set name …, /set description …, "
            "/prompt, /test) and try again.",
        },
        "content_field_name": {"da": "navn", "en": "name"},
        "content_field_description": {"da": "beskrivelse", "en": "description"},
        "content_field_prompt": {"da": "prompt", "en": "prompt"},
        "content_field_questions": {"da": "testspørgsmål", "en": "test-case questions"},
        "slug_holds_cpr": {
            "da": "Intet er oprettet: det korte navn (slug) indeholder {found}. Et slug ses i adresser, "
            "modelnavne og loggen og må aldrig have CPR-numre; vælg et andet.",
            "en": "Nothing was created: the short name (slug) contains {found}. A slug is seen in addresses, "
            "model names and the log and may never hold CPR numbers; choose another.",
        },
        "pii_in_source": {
            "da": "filen indeholder {found}; de sendes aldrig til sprogmodeller, der ikke er godkendt til "
            "personoplysninger",
            "en": "the file contains {found}; they are never sent to language models not cleared for personal data",
        },
        "cpr_removed": {
            "da": "{found} er fjernet fra teksten, før den blev gemt",
            "en": "{found} were removed from the text before it was stored",
        },
        "ingest_download_refused": {
            "da": "filen blev ikke hentet, fordi {why}",
            "en": "the file was not downloaded because {why}",
        },
        "download_invalid": {"da": "adressen er ugyldig", "en": "the address is invalid"},
        "download_userinfo": {
            "da": "adressen indeholder et brugernavn",
            "en": "the address contains a user name",
        },
        "download_scheme": {
            "da": "kun https er tilladt (ikke {scheme})",
            "en": "only https is allowed (not {scheme})",
        },
        "download_host": {
            "da": "værten {host} ikke er på listen over tilladte (AARHUSAI_DOWNLOAD_HOSTS)",
            "en": "the host {host} is not on the allow-list (AARHUSAI_DOWNLOAD_HOSTS)",
        },
        "download_internal": {
            "da": "{host} peger på en intern adresse",
            "en": "{host} points to an internal address",
        },
        "download_redirects": {
            "da": "der var over {limit} omdirigeringer",
            "en": "there were over {limit} redirects",
        },
        "ingest_download_failed": {
            "da": "filen kunne ikke hentes fra Teams ({detail})",
            "en": "the file could not be downloaded from Teams ({detail})",
        },
        # -- screening, sharing, approval, publishing --------------------------------------------
        "screening_category": {
            "da": "Ukendt datakategori '{item}'. Tilladte: {allowed}.",
            "en": "Unknown data category '{item}'. Allowed: {allowed}.",
        },
        "screening_none_alone": {
            "da": "data=ingen kan ikke kombineres med andre kategorier.",
            "en": "data=none cannot be combined with other categories.",
        },
        "screening_unparsable": {
            "da": "Kan ikke forstå '{part}'. Brug: {usage}",
            "en": "Cannot understand '{part}'. Use: {usage}",
        },
        "screening_missing": {
            "da": "Screeningen mangler: {missing}. Brug: {usage}",
            "en": "The screening is missing: {missing}. Use: {usage}",
        },
        "screening_dpia": {"da": "dpia skal være ja eller nej.", "en": "dpia must be yes or no."},
        "screening_sources": {
            "da": "kilder skal være offentlige eller interne.",
            "en": "sources must be public or internal.",
        },
        "screening_fill": {"da": "Udfyld {key}. Brug: {usage}", "en": "Fill in {key}. Use: {usage}"},
        "screening_key_purpose": {"da": "formål", "en": "purpose"},
        "screening_key_data": {"da": "data", "en": "data"},
        "screening_key_sources": {"da": "kilder", "en": "sources"},
        "screening_key_legal_basis": {"da": "hjemmel", "en": "legal"},
        "screening_key_dpia": {"da": "dpia", "en": "dpia"},
        "screening_key_responsible": {"da": "ansvarlig", "en": "responsible"},
        "data_category_ingen": {"da": "ingen", "en": "none"},
        "data_category_almindelige": {"da": "almindelige", "en": "ordinary"},
        "data_category_følsomme": {"da": "følsomme", "en": "sensitive"},
        "data_category_cpr": {"da": "cpr", "en": "cpr"},
        "passage_page": {"da": "side {page}", "en": "page {page}"},
        "sources_only_head": {
            "da": "Der er ikke forbundet nogen sprogmodel, så {specialist} kan ikke formulere et svar. Her er de "
            "mest relevante uddrag fra kilderne:",
            "en": "No language model is connected, so {specialist} cannot write an answer. These are the most "
            "relevant passages in its sources:",
        },
        "no_answer": {
            "da": "Jeg fandt ikke noget om det i kilderne for {specialist}, så jeg gætter ikke. Prøv at spørge "
            "med andre ord, eller spørg en kollega.",
            "en": "I found nothing about that in the sources of {specialist}, so I will not guess. Try other "
            "words, or ask a colleague.",
        },
        "sources_line": {"da": "Kilder: {listed}", "en": "Sources: {listed}"},
        "passage_section": {"da": "afsnit «{heading}»", "en": "section «{heading}»"},
        "not_screened": {
            "da": "**{name}** er ikke screenet endnu (klassifikation indtil da: {classification}).\nUdfyld: {usage}",
            "en": "**{name}** is not screened yet (classification until then: {classification}).\nFill in: {usage}",
        },
        "screening_shown": {
            "da": "Screening af **{name}** ({at} af {by}): formål: {purpose}; data: {data}; kilder: {sources}; "
            "hjemmel: {legal}; DPIA: {dpia}; ansvarlig: {responsible}. Klassifikation: **{classification}**.",
            "en": "Screening of **{name}** ({at} by {by}): purpose: {purpose}; data: {data}; sources: {sources}; "
            "legal basis: {legal}; DPIA: {dpia}; responsible: {responsible}. Classification: **{classification}**.",
        },
        "public_sources": {"da": "offentlige", "en": "public"},
        "internal_sources": {"da": "interne", "en": "internal"},
        "yes": {"da": "ja", "en": "yes"},
        "no": {"da": "nej", "en": "no"},
        "dpia_reminder": {
            "da": " Husk konsekvensanalysen (DPIA), før den udgives.",
            "en": " Remember the impact assessment (DPIA) before it is published.",
        },
        "screening_saved": {
            "da": "Screeningen er gemt. **{name}** er klassificeret som **{classification}**; kun sprogmodeller "
            "godkendt til det må se den.{dpia}",
            "en": "The screening is saved. **{name}** is classified as **{classification}**; only language models "
            "cleared for that may see it.{dpia}",
        },
        "share_usage": {
            "da": "Brug: /del personlig|team|afdeling|organisation",
            "en": "Use: /share personal|team|department|organisation",
        },
        "share_team_here": {
            "da": "Skriv /del team i den kanal eller gruppechat, der skal have adgang.",
            "en": "Type /share team in the channel or group chat that should have access.",
        },
        "share_no_department": {
            "da": "Specialisten hører ikke til en afdeling og kan ikke deles med en.",
            "en": "The specialist belongs to no department and cannot be shared with one.",
        },
        "needs_new_approval": {
            "da": " Den skal godkendes (/godkend) og udgives igen.",
            "en": " It must be approved (/approve) and published again.",
        },
        "shared": {
            "da": "**{name}** deles nu på niveauet {sharing}.{note}",
            "en": "**{name}** is now shared at the level {sharing}.{note}",
        },
        "sharing_personal": {"da": "personlig", "en": "personal"},
        "sharing_team": {"da": "team", "en": "team"},
        "sharing_department": {"da": "afdeling", "en": "department"},
        "sharing_organisation": {"da": "organisation", "en": "organisation"},
        "role_owner": {"da": "faglig systemejer", "en": "department owner"},
        "role_builder": {"da": "Builder", "en": "Builder"},
        "role_member": {"da": "medlem", "en": "member"},
        "classification_offentlig": {"da": "offentlig", "en": "public"},
        "classification_intern": {"da": "intern", "en": "internal"},
        "classification_fortrolig": {"da": "fortrolig", "en": "confidential"},
        "classification_personfølsom": {"da": "personfølsom", "en": "sensitive personal"},
        "status_draft": {"da": "kladde", "en": "draft"},
        "status_published": {"da": "udgivet", "en": "published"},
        "arg_kanal": {"da": "kanal", "en": "channel"},
        "approve_unscreened": {
            "da": "**{name}** er ikke screenet; der er intet at godkende endnu.",
            "en": "**{name}** is not screened; there is nothing to approve yet.",
        },
        "approver_not_entitled": {
            "da": "{approver} må ikke godkende {name}: kun afdelingens faglige systemejer eller en administrator må.",
            "en": "{approver} may not approve {name}: only the department's owner or an administrator may.",
        },
        "approved": {
            "da": "**{name}** er godkendt til deling ({sharing}); den kan nu udgives.",
            "en": "**{name}** is approved for sharing ({sharing}); it can be published now.",
        },
        "publish_unscreened": {
            "da": "**{name}** kan ikke udgives uden en screening. Udfyld: {usage}",
            "en": "**{name}** cannot be published without a screening. Fill in: {usage}",
        },
        "publish_unapproved": {
            "da": "**{name}** deles med {sharing} og skal først godkendes af afdelingens faglige systemejer "
            "(/godkend {slug}).",
            "en": "**{name}** is shared with {sharing} and must first be approved by the department's owner "
            "(/approve {slug}).",
        },
        "publish_no_description": {
            "da": "**{name}** mangler en beskrivelse, før den kan udgives: det er den, medarbejderne læser i "
            "/specialister, når de vælger. Skriv en med /indstil beskrivelse <tekst>.{suggestion}",
            "en": "**{name}** needs a description before it can be published: it is what employees read in "
            "/specialists when they choose. Write one with /set description <text>.{suggestion}",
        },
        "description_suggestion": {
            "da": "\nForslag: `/indstil beskrivelse {text}`",
            "en": "\nSuggestion: `/set description {text}`",
        },
        "describe_sources": {"da": "Bygger på: {titles}.", "en": "Based on: {titles}."},
        "describe_from_sources": {
            "da": "Svarer ud fra: {titles}.",
            "en": "Answers from: {titles}.",
        },
        "force_needs_reason": {
            "da": "En tvungen udgivelse kræver en begrundelse (--reason), som skrives i revisionsloggen.",
            "en": "A forced publication needs a reason (--reason), which is written to the audit log.",
        },
        "published": {
            "da": "**{name}** er udgivet ({sharing}, {classification}).",
            "en": "**{name}** is published ({sharing}, {classification}).",
        },
        "unpublished": {"da": "**{name}** er nu en kladde igen.", "en": "**{name}** is a draft again."},
        # -- roles and departments ---------------------------------------------------------------
        "role_unknown": {
            "da": "Ukendt rolle '{role}'. Roller: builder, ejer (faglig systemejer), medlem.",
            "en": "Unknown role '{role}'. Roles: builder, owner (department owner), member.",
        },
        "role_in": {"da": "{role} i {department}", "en": "{role} in {department}"},
        "admin_from_config": {
            "da": "administrator (fra konfigurationen)",
            "en": "administrator (from the configuration)",
        },
        "no_special_roles": {"da": "bruger (ingen særlige roller)", "en": "user (no special roles)"},
        "roles_of": {"da": "Roller for {user}: {roles}", "en": "Roles of {user}: {roles}"},
        "roles_usage": {
            "da": "Brug: /rolle tildel <bruger> <builder|ejer|medlem> <afdeling>, /rolle fjern ..., /rolle vis [bruger]",
            "en": "Use: /role assign <user> <builder|owner|member> <department>, /role remove ..., /role show [user]",
        },
        "role_assigned": {
            "da": "{user} har nu rollen {role} i {department}.",
            "en": "{user} now has the role {role} in {department}.",
        },
        "role_had": {
            "da": "{user} havde allerede rollen {role} i {department}.",
            "en": "{user} already had the role {role} in {department}.",
        },
        "role_removed": {
            "da": "{user} har ikke længere rollen {role} i {department}.",
            "en": "{user} no longer has the role {role} in {department}.",
        },
        "role_had_not": {
            "da": "{user} havde ikke rollen {role} i {department}.",
            "en": "{user} did not have the role {role} in {department}.",
        },
        "mention_unresolved": {
            "da": "Jeg kan ikke se, hvem @{name} er: nævnelsen peger ikke på en person i jeres organisation. Nævn personen igen med @ og vælg navnet på listen, eller skriv vedkommendes e-mailadresse (UPN).",
            "en": "I cannot tell who @{name} is: the mention does not point to a person in your organisation. Mention them again with @ and pick the name from the list, or write their e-mail address (UPN).",
        },
        "person_unknown": {
            "da": "Jeg kender ingen bruger ved navn '{name}', så intet er gemt. Nævn personen med @ i Teams, eller skriv vedkommendes e-mailadresse (UPN) eller Entra-objekt-id.",
            "en": "I know no user called '{name}', so nothing is saved. Mention the person with @ in Teams, or write their e-mail address (UPN) or Entra object id.",
        },
        "person_ambiguous": {
            "da": "{count} brugere hedder '{name}', så intet er gemt. Nævn den rette med @ i Teams, eller skriv vedkommendes e-mailadresse (UPN).",
            "en": "{count} users are called '{name}', so nothing is saved. Mention the right one with @ in Teams, or write their e-mail address (UPN).",
        },
        "department_unknown": {
            "da": "Afdelingen '{ref}' findes ikke. Kendte afdelinger: {known}.",
            "en": "There is no department '{ref}'. Known departments: {known}.",
        },
        "department_needs_name": {
            "da": "Giv afdelingen et navn, fx: /afdeling opret Borgerservice og Biblioteker",
            "en": "Give the department a name, e.g. /department create Citizens' Services",
        },
        "department_exists": {
            "da": "Afdelingen '{slug}' findes allerede.",
            "en": "The department '{slug}' already exists.",
        },
        "department_created": {
            "da": "Afdelingen {name} (`{slug}`) er oprettet.",
            "en": "The department {name} (`{slug}`) is created.",
        },
        "departments": {
            "da": "Afdelinger:\n{listing}\nAdministratorer opretter med /afdeling opret <navn>.",
            "en": "Departments:\n{listing}\nAdministrators create them with /department create <name>.",
        },
        "no_departments": {"da": "Ingen afdelinger endnu.", "en": "No departments yet."},
        # -- answers, citations, feedback, statistics --------------------------------------------
        "no_citations_yet": {
            "da": "Der er ingen kilder at vise endnu: stil først et spørgsmål til en specialist.",
            "en": "There are no sources to show yet: first ask a specialist a question.",
        },
        "citation_which": {
            "da": "Skriv nummeret på kilden fra det seneste svar ({numbers}), fx /kilde 1.",
            "en": "Give the number of a source in the latest answer ({numbers}), e.g. /source 1.",
        },
        "forgotten": {
            "da": (
                "Din {count} besked og svaret på den er slettet.",
                "Dine {count} beskeder og svarene på dem er slettet.",
            ),
            "en": (
                "Your {count} message and its answer are deleted.",
                "Your {count} messages and their answers are deleted.",
            ),
        },
        "all_specialists": {"da": "alle specialister", "en": "all specialists"},
        "stats_title": {
            "da": "Statistik for {name}, seneste {days} dage:",
            "en": "Statistics for {name}, the last {days} days:",
        },
        "stats_questions": {
            "da": "- {questions} spørgsmål fra {users:p:bruger|brugere}",
            "en": "- {questions:p:question|questions} from {users:p:user|users}",
        },
        "stats_returning": {
            "da": "- vendte tilbage: {r7} inden for 7 dage, {r30} inden for 30 dage",
            "en": "- came back: {r7} within 7 days, {r30} within 30 days",
        },
        "stats_no_answer": {
            "da": "- {share:.0%} uden fund i kilderne",
            "en": "- {share:.0%} found nothing in the sources",
        },
        "stats_feedback": {
            "da": "- feedback 👍 {likes} / 👎 {dislikes}",
            "en": "- feedback 👍 {likes} / 👎 {dislikes}",
        },
        "stats_top_unanswered": {"da": "- oftest uden svar: {top}", "en": "- most often unanswered: {top}"},
        "stats_comments_title": {
            "da": "Seneste kommentarer med 👎 (personoplysninger skjult):",
            "en": "Latest comments with 👎 (personal data masked):",
        },
        "stats_comment": {
            "da": "- «{text}» om «{question}» ({at})",
            "en": "- «{text}» about «{question}» ({at})",
        },
        "stats_unanswered_title": {
            "da": "Seneste spørgsmål uden svar i kilderne:",
            "en": "Latest questions the sources had no answer to:",
        },
        "stats_unanswered": {"da": "- «{question}»", "en": "- «{question}»"},
        "question_too_long": {
            "da": "Dit spørgsmål er for langt (over {limit} tegn). Skriv det kortere, eller giv specialisten "
            "teksten som en kilde.",
            "en": "Your question is too long (over {limit} characters). Shorten it, or give the specialist the "
            "text as a source.",
        },
        "prompt_withheld": {
            "da": "Svaret gentog specialistens instruktioner ordret, så det vises ikke. Stil spørgsmålet om "
            "emnet i stedet.",
            "en": "The answer repeated the specialist's instructions verbatim, so it is not shown. Ask about "
            "the subject instead.",
        },
        "pii_blocked_sources": {
            "da": "Svaret ville sende personoplysninger ({found}) fra specialistens kilder eller samtalen til "
            "sprogmodellen '{model}', som ikke er godkendt til personoplysninger, så jeg svarer ikke.",
            "en": "The answer would send personal data ({found}) from the specialist's sources or the "
            "conversation to the language model '{model}', which is not cleared for personal data, so I will "
            "not answer.",
        },
        # -- help ---------------------------------------------------------------------------------
        "help_for_builders": {"da": "For Buildere:", "en": "For Builders:"},
        "help_send_files": {
            "da": "Send filer her i chatten for at give den specialist, du redigerer, kilder.",
            "en": "Send files in this chat to add sources to the specialist you edit.",
        },
        "arg_specialist": {"da": "specialist", "en": "specialist"},
        "arg_source": {"da": "kilde", "en": "source"},
        "arg_number": {"da": "nummer", "en": "number"},
        "screening_usage": {
            "da": "/screening formål=<hvad den bruges til>; data=ingen|almindelige|følsomme|cpr (flere med komma); "
            "kilder=offentlige|interne; hjemmel=<retsgrundlag>; dpia=ja|nej; ansvarlig=<navn>",
            "en": "/screening purpose=<what it is for>; data=none|ordinary|sensitive|cpr (CPR numbers; "
            "several with commas); sources=public|internal; legal=<legal basis>; dpia=yes|no; "
            "responsible=<name>",
        },
        "general_name": {"da": "Generel assistent", "en": "General assistant"},
        "general_description": {
            "da": "Svarer på generelle spørgsmål uden kilder.",
            "en": "Answers general questions without sources.",
        },
        "usage_ny": {"da": "<navn> [afdeling=<afdeling>]", "en": "<name> [department=<department>]"},
        "usage_prompt": {"da": "[tekst | historik | gendan <n>]", "en": "[text | history | restore <n>]"},
        "usage_indstil": {"da": "<nøgle> <værdi>", "en": "<key> <value>"},
        "usage_rolle": {
            "da": "vis [bruger] | tildel|fjern <bruger> <builder|ejer|medlem> <afdeling>",
            "en": "show [user] | assign|remove <user> <builder|owner|member> <department>",
        },
        "usage_afdeling": {"da": "[opret <navn>]", "en": "[create <name>]"},
        "usage_screening": {
            "da": "formål=...; data=...; kilder=...; hjemmel=...; dpia=ja|nej; ansvarlig=...",
            "en": "purpose=...; data=...; sources=...; legal=...; dpia=yes|no; responsible=...",
        },
        "usage_del": {
            "da": "personlig|team|afdeling|organisation",
            "en": "personal|team|department|organisation",
        },
        "help_hjælp": {"da": "vis denne hjælp", "en": "show this help"},
        "help_specialister": {
            "da": "vis de specialister, du kan bruge",
            "en": "list the specialists you can use",
        },
        "help_brug": {
            "da": "lad en specialist svare her (i kanaler: tilføj 'kanal' for hele kanalen)",
            "en": "let a specialist answer here (in channels add 'channel' for the whole channel)",
        },
        "help_ny": {"da": "opret en ny specialist", "en": "create a specialist"},
        "help_rediger": {"da": "vælg den specialist, du vil redigere", "en": "choose the specialist to edit"},
        "help_prompt": {
            "da": "vis prompten; /prompt <tekst> gemmer en ny version; /prompt historik; /prompt gendan <n>",
            "en": "show the prompt; /prompt <text> saves a new version; /prompt history; /prompt restore <n>",
        },
        "help_indstil": {
            "da": "ændr en indstilling (temperatur, top_k, chunk_size, chunk_overlap, model, navn, beskrivelse, "
            "afdeling, status)",
            "en": "change a setting (temperature, top_k, chunk_size, chunk_overlap, model, name, description, "
            "department, status)",
        },
        "help_test": {
            "da": "testcases for den specialist, du redigerer: tilføj, vis, slet, kør",
            "en": "test cases of the specialist you edit: add, show, delete, run",
        },
        "usage_test": {
            "da": "tilføj <spørgsmål> ; <krav> ; <krav> … · vis · slet <n> · kør",
            "en": "add <question> ; <requirement> ; <requirement> … · show · delete <n> · run",
        },
        "test_usage": {
            "da": (
                "Brug: /test tilføj <spørgsmål> ; <krav> ; <krav> … (adskil med ; eller linjeskift)\n"
                "Krav: `indeholder <tekst>` · `indeholder ikke <tekst>` · `citerer <fil>` · `afviser` · "
                "`svarer` · `sprog da` · `sprog en` · `højst <n> ord`\n"
                "Fx: `/test tilføj Hvad koster et pas? ; indeholder 688 kr. ; citerer pas.md`\n"
                "Se og ret: /test vis · /test slet <n> · /test kør"
            ),
            "en": (
                "Use: /test add <question> ; <requirement> ; <requirement> … (separate with ; or line breaks)\n"
                "Requirements: `contains <text>` · `does not contain <text>` · `cites <file>` · `refuses` · "
                "`answers` · `language da` · `language en` · `at most <n> words`\n"
                "E.g.: `/test add What does a passport cost? ; contains 688 ; cites pas.md`\n"
                "See and fix: /test show · /test delete <n> · /test run"
            ),
        },
        "test_phrase_unknown": {
            "da": (
                "Jeg forstår ikke kravet «{part}». Hvert krav efter spørgsmålet begynder med et af disse: "
                "`indeholder`, `indeholder ikke`, `citerer`, `afviser`, `svarer`, `sprog`, `højst`. "
                "Adskil spørgsmål og krav med ; eller linjeskift."
            ),
            "en": (
                "I do not understand the requirement «{part}». Each requirement after the question begins with "
                "one of these: `contains`, `does not contain`, `cites`, `refuses`, `answers`, `language`, "
                "`at most`. Separate the question and the requirements with ; or line breaks."
            ),
        },
        "test_phrase_no_value": {
            "da": "«{keyword}» står alene, uden tekst efter sig (i «{part}»).",
            "en": "«{keyword}» stands alone, with no text after it (in «{part}»).",
        },
        "test_phrase_needs_value": {
            "da": "«{keyword}» skal efterfølges af en tekst, fx `indeholder 688 kr.` eller `citerer pas.md`.",
            "en": "«{keyword}» must be followed by a text, e.g. `contains 688` or `cites pas.md`.",
        },
        "test_phrase_language": {
            "da": "Sproget i «{part}» skal være `da` (dansk) eller `en` (engelsk).",
            "en": "The language in «{part}» must be `da` (Danish) or `en` (English).",
        },
        "test_phrase_number": {
            "da": "Skriv et helt tal i «{part}», fx `højst 80 ord`.",
            "en": "Write a whole number in «{part}», e.g. `at most 80 words`.",
        },
        "test_too_many_asserts": {
            "da": "En testcase kan højst have {limit} krav.",
            "en": "A test case can have at most {limit} requirements.",
        },
        "test_cites_unknown": {
            "da": "**{name}** har ingen kilde ved navn «{file}», så testen kunne aldrig bestå. Kilderne er: {files}.",
            "en": "**{name}** has no source called «{file}», so the test could never pass. The sources are: {files}.",
        },
        "test_added": {
            "da": "Testcase {number} er tilføjet til **{name}**. Kør alle med /test kør.",
            "en": "Test case {number} is added to **{name}**. Run them all with /test run.",
        },
        "test_removed": {
            "da": "Testcase {number} («{question}») er slettet fra **{name}**.",
            "en": "Test case {number} («{question}») is deleted from **{name}**.",
        },
        "test_unknown": {
            "da": "Der er ingen testcase {number} (der er {count}). Se /test vis.",
            "en": "There is no test case {number} (there are {count}). See /test show.",
        },
        "test_too_many": {
            "da": "En specialist kan højst have {limit} testcases.",
            "en": "A specialist can have at most {limit} test cases.",
        },
        "test_none": {
            "da": "**{name}** har ingen testcases endnu. Tilføj en med `/test tilføj <spørgsmål> ; indeholder <tekst>`.",
            "en": "**{name}** has no test cases yet. Add one with `/test add <question> ; contains <text>`.",
        },
        "test_list_title": {"da": "Testcases for **{name}**:", "en": "Test cases of **{name}**:"},
        "test_line": {"da": "{number}. {question} → {expected}", "en": "{number}. {question} → {expected}"},
        "test_expect_refuse": {"da": "skal afvise", "en": "must refuse"},
        "test_expect_answer": {"da": "skal svare (ikke afvise)", "en": "must answer (not refuse)"},
        "test_expect_contains": {
            "da": "svaret skal indeholde «{value}»",
            "en": "the answer must contain «{value}»",
        },
        "test_expect_not_contains": {
            "da": "svaret må ikke indeholde «{value}»",
            "en": "the answer must not contain «{value}»",
        },
        "test_expect_cites": {"da": "skal citere {value}", "en": "must cite {value}"},
        "test_expect_language": {"da": "skal svare på {value}", "en": "must answer in {value}"},
        "test_expect_max_words": {"da": "højst {value} ord", "en": "at most {value:p:word|words}"},
        "test_expect_regex": {
            "da": "svaret skal passe til `{value}`",
            "en": "the answer must match `{value}`",
        },
        "test_expect_citations_valid": {
            "da": "hver kildehenvisning skal findes",
            "en": "every source reference must exist",
        },
        "test_expect_latency": {"da": "svar inden for {value} ms", "en": "an answer within {value} ms"},
        "test_expect_rubric": {"da": "kriterium: «{value}»", "en": "criterion: «{value}»"},
        "test_expect_other": {"da": "{type} {value}", "en": "{type} {value}"},
        "language_da": {"da": "dansk", "en": "Danish"},
        "language_en": {"da": "engelsk", "en": "English"},
        "test_seen": {"da": " (fik: {seen})", "en": " (got: {seen})"},
        "test_seen_cited": {"da": "citerede {names}", "en": "cited {names}"},
        "test_seen_no_cites": {"da": "citerede ingen kilder", "en": "cited no sources"},
        "test_seen_answered": {"da": "svarede i stedet for at afvise", "en": "answered instead of refusing"},
        "test_seen_refused": {"da": "afviste", "en": "refused"},
        "test_seen_language": {"da": "svarede på {language}", "en": "answered in {language}"},
        "test_seen_words": {"da": "{count} ord", "en": ("{count} word", "{count} words")},
        "test_seen_latency": {"da": "{value} ms", "en": "{value} ms"},
        "test_seen_judge": {"da": "dommeren: {detail}", "en": "the judge: {detail}"},
        "test_run_title": {
            "da": (
                "**{name}** på {model}: {passed} af {count} testcase bestod.",
                "**{name}** på {model}: {passed} af {count} testcases bestod.",
            ),
            "en": (
                "**{name}** on {model}: {passed} of {count} test case passed.",
                "**{name}** on {model}: {passed} of {count} test cases passed.",
            ),
        },
        "test_all_passed": {
            "da": "Alle testcases bestod, så specialisten kan udgives.",
            "en": "All test cases passed, so the specialist can be published.",
        },
        "test_failure": {
            "da": "{number}. {question}\nSvar: {answer}\nForventet: {expected}{seen}\nFundne uddrag:\n{passages}",
            "en": "{number}. {question}\nAnswer: {answer}\nExpected: {expected}{seen}\nPassages found:\n{passages}",
        },
        "test_passage": {"da": "{where}: «{snippet}»", "en": "{where}: «{snippet}»"},
        "test_no_passages": {
            "da": "ingen: intet i kilderne lignede spørgsmålet nok",
            "en": "none: nothing in the sources was close enough to the question",
        },
        "citation_page": {"da": "s. {page}", "en": "p. {page}"},
        "test_card_title": {"da": "Testcases: {name}", "en": "Test cases: {name}"},
        "test_answer_label": {"da": "Svar", "en": "Answer"},
        "test_expected_label": {"da": "Forventet", "en": "Expected"},
        "test_seen_label": {"da": "Fik", "en": "Got"},
        "test_found_label": {"da": "Fundne uddrag", "en": "Passages found"},
        "prompt_tests_hint": {
            "da": (
                "Specialisten har {count} testcase: kør den igen med /test kør, før den udgives.",
                "Specialisten har {count} testcases: kør dem igen med /test kør, før den udgives.",
            ),
            "en": (
                "The specialist has {count} test case: run it again with /test run before publishing.",
                "The specialist has {count} test cases: run them again with /test run before publishing.",
            ),
        },
        "publish_tests_not_run": {
            "da": (
                "**{name}** har {count} testcase, som ikke er kørt på prompt version {version}, de nuværende kilder og modellen {model}. Kør /test kør først, eller udgiv med /udgiv trods-test <begrundelse> (skrives i revisionsloggen).",
                "**{name}** har {count} testcases, som ikke er kørt på prompt version {version}, de nuværende kilder og modellen {model}. Kør /test kør først, eller udgiv med /udgiv trods-test <begrundelse> (skrives i revisionsloggen).",
            ),
            "en": (
                "**{name}** has {count} test case that has not run on prompt version {version}, the current sources and the model {model}. Run /test run first, or publish with /publish override <reason> (written to the audit log).",
                "**{name}** has {count} test cases that have not run on prompt version {version}, the current sources and the model {model}. Run /test run first, or publish with /publish override <reason> (written to the audit log).",
            ),
        },
        "publish_tests_failing": {
            "da": (
                "**{name}** kan ikke udgives: {passed} af {count} testcase bestod ved sidste kørsel (modellen {model}, prompt version {version}). Ret det og kør /test kør igen, eller udgiv med /udgiv trods-test <begrundelse> (skrives i revisionsloggen).",
                "**{name}** kan ikke udgives: {passed} af {count} testcases bestod ved sidste kørsel (modellen {model}, prompt version {version}). Ret det og kør /test kør igen, eller udgiv med /udgiv trods-test <begrundelse> (skrives i revisionsloggen).",
            ),
            "en": (
                "**{name}** cannot be published: {passed} of {count} test case passed in the last run (the model {model}, prompt version {version}). Fix it and run /test run again, or publish with /publish override <reason> (written to the audit log).",
                "**{name}** cannot be published: {passed} of {count} test cases passed in the last run (the model {model}, prompt version {version}). Fix it and run /test run again, or publish with /publish override <reason> (written to the audit log).",
            ),
        },
        "publish_tests_untestable": {
            "da": (
                "**{name}** har {count} testcase, men ingen sprogmodel er godkendt til dens data, så den kan ikke køres (kildeuddrag alene er ikke et svar). Bed en administrator om en godkendt model, eller udgiv med /udgiv trods-test <begrundelse> (skrives i revisionsloggen).",
                "**{name}** har {count} testcases, men ingen sprogmodel er godkendt til dens data, så de kan ikke køres (kildeuddrag alene er ikke et svar). Bed en administrator om en godkendt model, eller udgiv med /udgiv trods-test <begrundelse> (skrives i revisionsloggen).",
            ),
            "en": (
                "**{name}** has {count} test case, but no language model is cleared for its data, so it cannot run (passages alone are not an answer). Ask an administrator for a cleared model, or publish with /publish override <reason> (written to the audit log).",
                "**{name}** has {count} test cases, but no language model is cleared for its data, so they cannot run (passages alone are not an answer). Ask an administrator for a cleared model, or publish with /publish override <reason> (written to the audit log).",
            ),
        },
        "test_not_testable": {
            "da": "**{name}** kan ikke testes: ingen sprogmodel er godkendt til dens data, og kildeuddrag alene er ikke et svar. En kørsel uden model tæller aldrig som bestået.",
            "en": "**{name}** cannot be tested: no language model is cleared for its data, and passages alone are not an answer. A run without a model never counts as passed.",
        },
        "tests_override_needs_reason": {
            "da": "At udgive trods testcases kræver en begrundelse: /udgiv trods-test <begrundelse>.",
            "en": "Publishing despite the test cases needs a reason: /publish override <reason>.",
        },
        "help_modeller": {
            "da": "vis modelkataloget: hvilke modeller der må se hvilke data, og hvordan de klarede benchmarken",
            "en": "show the model catalogue: which models may see which data, and how they did on the benchmark",
        },
        "models_none": {
            "da": "Modelkataloget er ikke målt endnu. Administratoren kører det med aarhusai eval catalogue.",
            "en": "The model catalogue has not been measured yet. The administrator runs it with aarhusai eval catalogue.",
        },
        "models_title": {
            "da": "Modelkatalog (benchmark med {cases} danske spørgsmål, kørt {date}):",
            "en": "Model catalogue (benchmark of {cases} Danish questions, run {date}):",
        },
        "models_line": {
            "da": "- **{model}** (må se op til {ceiling}): {passed} % bestået, {danish} % svar på dansk, {words} ord, {latency} ms",
            "en": "- **{model}** (cleared up to {ceiling}): {passed} % passed, {danish} % answers in Danish, {words} words, {latency} ms",
        },
        "models_embedded": {"da": "alt (indlejret)", "en": "anything (embedded)"},
        "models_footer": {
            "da": "Vælg model med /indstil model <id>; en model bruges kun til data, den er godkendt til.",
            "en": "Choose a model with /set model <id>; a model is only used for data it is cleared for.",
        },
        "help_kilder": {
            "da": "vis kilderne for den specialist, du redigerer",
            "en": "list the sources of the specialist you edit",
        },
        "help_fjern": {"da": "fjern en kilde", "en": "remove a source"},
        "help_genindekser": {
            "da": "læs alle kilder igen med de nuværende indstillinger",
            "en": "re-read all sources with the current settings",
        },
        "help_kilde": {
            "da": "vis et kildeuddrag fra det seneste svar i fuld længde",
            "en": "show a source passage of the latest answer in full",
        },
        "help_statistik": {
            "da": "brug og feedback de seneste 30 dage",
            "en": "usage and feedback over the last 30 days",
        },
        "help_rolle": {"da": "vis, tildel eller fjern roller", "en": "show, assign or remove roles"},
        "help_afdeling": {
            "da": "vis afdelinger; administratorer opretter nye",
            "en": "list departments; administrators create them",
        },
        "help_screening": {
            "da": "screen den specialist, du redigerer, før den udgives",
            "en": "screen the specialist you edit before publishing",
        },
        "help_del": {"da": "hvem må bruge specialisten", "en": "who may use the specialist"},
        "help_udgiv": {
            "da": "udgiv specialisten (kræver screening og evt. godkendelse)",
            "en": "publish the specialist (needs screening and maybe approval)",
        },
        "help_afpubliser": {
            "da": "gør specialisten til kladde igen",
            "en": "make the specialist a draft again",
        },
        "help_godkend": {
            "da": "godkend en specialist til deling (faglig systemejer)",
            "en": "approve a specialist for sharing (department owner)",
        },
        "help_glem": {"da": "slet dine egne samtaler og beskeder", "en": "delete your own messages"},
    }
)


# -- API keys and the /v1 and /mcp doors -------------------------------------------------------------
MESSAGES.update(
    {
        "apikey_exists": {
            "da": "Der findes allerede en API-nøgle med navnet {name}. Tilbagekald den først, eller vælg et andet navn.",
            "en": "There is already an API key named {name}. Revoke it first, or choose another name.",
        },
        "apikey_unknown": {
            "da": "Der findes ingen API-nøgle med navnet {name}. Se dem med: aarhusai apikey list",
            "en": "There is no API key named {name}. List them with: aarhusai apikey list",
        },
        "apikey_bad_name": {
            "da": "Et nøglenavn må kun have små bogstaver, tal og bindestreg (fx sagssystem-borgerservice), højst 64 tegn; ikke '{name}'.",
            "en": "A key name may hold only lower-case letters, digits and hyphens (e.g. case-system-citizens), at most 64 characters; not '{name}'.",
        },
        "apikey_needs_specialists": {
            "da": "Nævn mindst én specialist, nøglen må bruge: --specialists a,b",
            "en": "Name at least one specialist the key may use: --specialists a,b",
        },
        "apikey_bad_ceiling": {
            "da": "'{value}' er ikke en klassifikation; brug offentlig, intern, fortrolig eller personfølsom.",
            "en": "'{value}' is not a classification; use public, internal, confidential or sensitive.",
        },
        "apikey_bad_expiry": {
            "da": "Udløb skal være et antal dage som 90d (1–3650), ikke '{value}'.",
            "en": "Expiry must be a number of days such as 90d (1–3650), not '{value}'.",
        },
        "apikey_above_ceiling": {
            "da": "Bemærk: {names} er klassificeret over nøglens loft ({ceiling}) og kan ikke bruges med den, før loftet hæves.",
            "en": "Note: {names} is classified above the key's ceiling ({ceiling}) and cannot be used with it until the ceiling is raised.",
        },
        "apikey_unpublished": {
            "da": "Bemærk: {names} er ikke udgivet og kan ikke bruges med nøglen, før den er.",
            "en": "Note: {names} is not published and cannot be used with the key until it is.",
        },
        "api_key_missing": {
            "da": "Anmodningen mangler en API-nøgle: send headeren Authorization: Bearer <nøgle>.",
            "en": "The request has no API key: send the header Authorization: Bearer <key>.",
        },
        "api_key_invalid": {
            "da": "API-nøglen er ukendt, tilbagekaldt eller udløbet. Send en gyldig nøgle i headeren Authorization: Bearer <nøgle>.",
            "en": "The API key is unknown, revoked or expired. Send a valid key in the header Authorization: Bearer <key>.",
        },
        "api_key_how": {
            "da": "Send API-nøglen, som en administrator har udstedt, i headeren Authorization: Bearer <nøgle>. Tjenesten bruger ikke OAuth.",
            "en": "Send the API key an administrator issued in the header Authorization: Bearer <key>. The service does not use OAuth.",
        },
        "api_rate_limited": {
            "da": "For mange anmodninger med nøglen {name}; prøv igen om {seconds} sekunder.",
            "en": "Too many requests with the key {name}; try again in {seconds} seconds.",
        },
        "api_specialist_unknown": {
            "da": "Specialisten '{ref}' findes ikke, eller nøglen har ikke adgang til den.",
            "en": "The specialist '{ref}' does not exist, or the key may not use it.",
        },
        "api_passage_unknown": {
            "da": "Uddraget '{ref}' findes ikke, eller nøglen har ikke adgang til det.",
            "en": "The passage '{ref}' does not exist, or the key may not use it.",
        },
        "api_unsupported_param": {
            "da": "Parameteren {param} understøttes ikke: en specialist svarer med tekst og kildehenvisninger. {hint}",
            "en": "The parameter {param} is not supported: a specialist answers with text and citations. {hint}",
        },
        "api_unsupported_hint_format": {
            "da": 'Udelad den, eller send {"type": "text"}.',
            "en": 'Leave it out, or send {"type": "text"}.',
        },
        "api_unsupported_hint_tools": {
            "da": "Specialister kalder ikke værktøjer; udelad den.",
            "en": "Specialists do not call tools; leave it out.",
        },
        "api_unsupported_hint_n": {
            "da": "Der kommer ét svar pr. anmodning; udelad n eller send 1.",
            "en": "There is one answer per request; leave n out or send 1.",
        },
        "api_unsupported_hint_logprobs": {
            "da": "Sandsynligheder for tokens gives ikke; udelad den.",
            "en": "Token probabilities are not given; leave it out.",
        },
        "title_task_prompt": {
            "da": "Skriv en kort titel på 2-5 ord på dansk for en samtale, der begynder med brugerens spørgsmål herunder. Svar kun med titlen: ingen anførselstegn, ingen forklaring.",
            "en": "Write a short title of 2-5 words in English for a conversation that begins with the user's question below. Reply with the title only: no quotation marks, no explanation.",
        },
        "api_cors_refused": {
            "da": "Oprindelsen {origin} må ikke kalde denne tjeneste fra en browser (AARHUSAI_CORS_ORIGINS).",
            "en": "The origin {origin} may not call this service from a browser (AARHUSAI_CORS_ORIGINS).",
        },
        "api_bad_request": {
            "da": "Anmodningen er ugyldig: {detail}",
            "en": "The request is not valid: {detail}",
        },
        "api_no_question": {
            "da": 'Den sidste besked skal være fra brugeren (role "user") og indeholde tekst.',
            "en": 'The last message must be from the user (role "user") and contain text.',
        },
        "api_not_found": {
            "da": "Her findes ingen {path}. Se /v1/openapi.json.",
            "en": "There is no {path} here. See /v1/openapi.json.",
        },
        "mcp_arguments_not_object": {
            "da": "Argumenterne skal være et JSON-objekt med værktøjets parametre.",
            "en": "The arguments must be a JSON object with the tool's parameters.",
        },
        "mcp_argument_missing": {
            "da": "Argumentet '{name}' mangler.",
            "en": "The argument '{name}' is missing.",
        },
        "mcp_argument_unknown": {
            "da": "Ukendt argument '{name}'; værktøjet tager {allowed}.",
            "en": "Unknown argument '{name}'; the tool takes {allowed}.",
        },
        "mcp_argument_range": {
            "da": "Argumentet '{name}' skal være et tal fra {low} til {high}.",
            "en": "The argument '{name}' must be a number from {low} to {high}.",
        },
        "mcp_argument_at_most": {
            "da": "Argumentet '{name}' må højst være {limit}.",
            "en": "The argument '{name}' may be at most {limit}.",
        },
        "mcp_argument_at_least": {
            "da": "Argumentet '{name}' skal mindst være {limit}.",
            "en": "The argument '{name}' must be at least {limit}.",
        },
        "mcp_argument_too_long": {
            "da": "Argumentet '{name}' er for langt: højst {limit} tegn.",
            "en": "The argument '{name}' is too long: at most {limit:p:character|characters}.",
        },
        "mcp_argument_too_short": {
            "da": "Argumentet '{name}' er for kort: det skal have mindst {limit} tegn.",
            "en": "The argument '{name}' is too short: it needs at least {limit:p:character|characters}.",
        },
        "mcp_argument_too_many": {
            "da": "Argumentet '{name}' har for mange elementer: højst {limit}.",
            "en": "The argument '{name}' has too many items: at most {limit}.",
        },
        "mcp_argument_type": {
            "da": "Argumentet '{name}' har forkert type: det skal være `{limit}`.",
            "en": "The argument '{name}' has the wrong type: it must be `{limit}`.",
        },
        "mcp_argument_pattern": {
            "da": "Argumentet '{name}' har ikke den form, værktøjets beskrivelse kræver.",
            "en": "The argument '{name}' does not have the form the tool's description requires.",
        },
        "mcp_argument_enum": {
            "da": "Argumentet '{name}' skal være en af: {limit}.",
            "en": "The argument '{name}' must be one of: {limit}.",
        },
        "mcp_argument_invalid": {
            "da": "Argumentet '{name}' er ugyldigt; se værktøjets beskrivelse.",
            "en": "The argument '{name}' is not valid; see the tool's description.",
        },
        "mcp_unknown_tool": {
            "da": "Værktøjet '{name}' findes ikke; brug et af: {tools}.",
            "en": "There is no tool '{name}'; use one of: {tools}.",
        },
        "mcp_resource_description": {
            "da": "{name}: beskrivelse",
            "en": "{name}: description",
        },
        "mcp_resource_sources": {
            "da": "{name}: kilder",
            "en": "{name}: sources",
        },
        "a2a_no_text": {
            "da": "Beskeden skal indeholde et spørgsmål som tekst (en del med `text`).",
            "en": "The message must hold a question as text (a part with `text`).",
        },
        "api_method_not_allowed": {
            "da": "{path} tager ikke imod {method}; brug {allowed}.",
            "en": "{path} does not accept {method}; use {allowed}.",
        },
        "body_too_large": {
            "da": "den er større end {limit} byte",
            "en": "it is larger than {limit} bytes",
        },
        "body_timeout": {
            "da": "indholdet nåede ikke frem inden for {seconds} sekunder",
            "en": "the body did not arrive within {seconds} seconds",
        },
        "body_too_deep": {
            "da": "JSON er indlejret for dybt",
            "en": "JSON nested too deeply",
        },
        "body_not_json": {
            "da": "indholdet er ikke gyldig JSON",
            "en": "body is not valid JSON",
        },
        "body_not_object": {
            "da": "indholdet skal være et JSON-objekt",
            "en": "body must be a JSON object",
        },
        "body_bad_unicode": {
            "da": "indholdet er ikke gyldig UTF-8 eller har en enlig surrogat (\\ud800-\\udfff)",
            "en": "the body is not valid UTF-8 or has a lone surrogate (\\ud800-\\udfff)",
        },
        "body_long_number": {
            "da": "et tal har mere end {limit} cifre",
            "en": "a number has more than {limit} digits",
        },
        "body_bad_number": {
            "da": "et tal er ikke et endeligt tal (NaN, Infinity eller for stort)",
            "en": "a number is not finite (NaN, Infinity or too large)",
        },
        "body_long_string": {
            "da": "en tekst er længere end {limit} tegn",
            "en": "a string is longer than {limit} characters",
        },
    }
)


# -- the Builder's checklist (/status, the card after each change, request approval) -----------------
MESSAGES.update(
    {
        "help_status": {
            "da": "tjeklisten for den specialist, du redigerer, og godkendelser der venter på dig",
            "en": "the checklist of the specialist you are editing, and approvals waiting for you",
        },
        "help_anmod-godkendelse": {
            "da": "bed afdelingens systemejer om at godkende delingen",
            "en": "ask the department owner to approve the sharing",
        },
        "help_test-kør": {"da": "kør testcases (knappen Kør)", "en": "run the test cases (the Run button)"},
        "checklist_title": {"da": "Tjekliste: {name}", "en": "Checklist: {name}"},
        "checklist_description": {"da": "Beskrivelse", "en": "Description"},
        "checklist_description_missing": {
            "da": "mangler (kræves for at udgive)",
            "en": "missing (needed to publish)",
        },
        "checklist_description_action": {
            "da": "/indstil beskrivelse <tekst>",
            "en": "/set description <text>",
        },
        "checklist_sources": {"da": "Kilder", "en": "Sources"},
        "checklist_sources_count": {"da": "{count:p:kilde|kilder}", "en": "{count:p:source|sources}"},
        "checklist_sources_refused": {"da": " · afvist: {names}", "en": " · refused: {names}"},
        "checklist_sources_action": {
            "da": "send filer her i chatten · /kilder",
            "en": "send files in this chat · /sources",
        },
        "checklist_prompt": {"da": "Prompt", "en": "Prompt"},
        "checklist_prompt_version": {"da": "version {version}", "en": "version {version}"},
        "checklist_prompt_default": {
            "da": "version {version} (standardprompten)",
            "en": "version {version} (the default prompt)",
        },
        "checklist_prompt_action": {"da": "/prompt <tekst>", "en": "/prompt <text>"},
        "checklist_screening": {"da": "Screening", "en": "Screening"},
        "checklist_screened": {"da": "udfyldt ({classification})", "en": "done ({classification})"},
        "checklist_not_screened": {"da": "ikke udfyldt", "en": "not done"},
        "checklist_sharing": {"da": "Deling", "en": "Sharing"},
        "checklist_sharing_action": {"da": "/del <niveau>", "en": "/share <level>"},
        "checklist_approval": {"da": "Godkendelse", "en": "Approval"},
        "checklist_approval_not_needed": {
            "da": "ikke nødvendig ved deling på niveauet {sharing}",
            "en": "not needed when shared at the level {sharing}",
        },
        "checklist_approval_done": {"da": "godkendt af {by}", "en": "approved by {by}"},
        "checklist_approval_requested": {
            "da": "anmodet, venter på {who}",
            "en": "requested, waiting for {who}",
        },
        "checklist_approval_how": {"da": "systemejeren: /godkend {slug}", "en": "the owner: /approve {slug}"},
        "checklist_approval_missing": {
            "da": "mangler (kræves ved deling på niveauet {sharing})",
            "en": "missing (needed when shared at the level {sharing})",
        },
        "checklist_request_command": {"da": "anmod-godkendelse", "en": "request-approval"},
        "checklist_request_button": {"da": "Anmod om godkendelse", "en": "Request approval"},
        "checklist_approve_button": {"da": "Godkend", "en": "Approve"},
        "checklist_an_administrator": {"da": "en administrator", "en": "an administrator"},
        "checklist_tests": {"da": "Test", "en": "Tests"},
        "checklist_tests_none": {"da": "ingen testcases", "en": "no test cases"},
        "checklist_tests_not_testable": {
            "da": (
                "{count} testcase, men den kan ikke køres: ingen sprogmodel er godkendt til specialisten",
                "{count} testcases, men de kan ikke køres: ingen sprogmodel er godkendt til specialisten",
            ),
            "en": (
                "{count} test case, but it cannot run: no language model is cleared for the specialist",
                "{count} test cases, but they cannot run: no language model is cleared for the specialist",
            ),
        },
        "checklist_tests_not_run": {
            "da": "{count:p:testcase|testcases}, ikke kørt",
            "en": "{count:p:test case|test cases}, not run",
        },
        "checklist_tests_result": {
            "da": "{passed}/{total} bestået med {model}",
            "en": "{passed}/{total} passed on {model}",
        },
        "checklist_tests_stale": {
            "da": "{passed}/{total} bestået med {model}, men specialisten er ændret siden",
            "en": "{passed}/{total} passed on {model}, but the specialist has changed since",
        },
        "checklist_tests_action": {"da": "/test tilføj · /test kør", "en": "/test add · /test run"},
        "checklist_run_button": {"da": "Kør", "en": "Run"},
        "checklist_settings_button": {"da": "Indstillinger", "en": "Settings"},
        "checklist_fill_button": {"da": "Udfyld", "en": "Fill in"},
        "checklist_screening_button": {"da": "Ret", "en": "Change"},
        "checklist_sharing_button": {"da": "Vælg", "en": "Choose"},
        "checklist_published": {"da": "Udgivet", "en": "Published"},
        "checklist_published_yes": {"da": "ja", "en": "yes"},
        "checklist_published_no": {"da": "nej, kladde", "en": "no, a draft"},
        "checklist_publish_action": {"da": "/udgiv", "en": "/publish"},
        "checklist_publish_button": {"da": "Udgiv", "en": "Publish"},
        "checklist_all_done": {"da": "Alt er klaret.", "en": "Everything is done."},
        "checklist_open": {"da": "{count} trin mangler.", "en": "{count:p:step|steps} to go."},
        "approval_requested": {
            "da": (
                "Anmodningen om at godkende **{name}** er registreret. {who} ser den under /status og "
                "godkender med `/godkend {slug}`."
            ),
            "en": (
                "The request to approve **{name}** is recorded. {who} sees it under /status and approves "
                "with `/approve {slug}`."
            ),
        },
        "approval_not_needed": {
            "da": "**{name}** deles på niveauet {sharing} og skal ikke godkendes.",
            "en": "**{name}** is shared at the level {sharing} and needs no approval.",
        },
        "approval_already": {
            "da": "**{name}** er allerede godkendt af {by}.",
            "en": "**{name}** is already approved by {by}.",
        },
        "approval_notified": {
            "da": "{who} får besked i Teams.",
            "en": "{who} will get a message in Teams.",
        },
        "approval_waiting": {
            "da": (
                "{who} har ikke skrevet til botten endnu og får beskeden, når de gør; indtil da ser de "
                "anmodningen under /status."
            ),
            "en": (
                "{who} has not written to the bot yet and gets the message once they do; until then "
                "they see the request under /status."
            ),
        },
        "notify_approval_requested": {
            "da": (
                "**{builder}** beder dig godkende specialisten **{name}** til deling på niveauet "
                "{sharing}. Godkend med knappen eller `/godkend {slug}`; se alt, der venter, under /status."
            ),
            "en": (
                "**{builder}** asks you to approve the specialist **{name}** for sharing at the level "
                "{sharing}. Approve with the button or `/approve {slug}`; see everything waiting under "
                "/status."
            ),
        },
        "notify_approved": {
            "da": (
                "**{approver}** har godkendt **{name}** til deling på niveauet {sharing}. Den kan nu "
                "udgives: `/rediger {slug}` og derefter `/udgiv`."
            ),
            "en": (
                "**{approver}** approved **{name}** for sharing at the level {sharing}. It can be "
                "published now: `/edit {slug}`, then `/publish`."
            ),
        },
        "notify_open_button": {"da": "Åbn tjeklisten", "en": "Open the checklist"},
        "pending_title": {"da": "Venter på din godkendelse:", "en": "Waiting for your approval:"},
        "pending_line": {
            "da": "**{name}** ({sharing}), anmodet af {by} {at} → `/godkend {slug}`",
            "en": "**{name}** ({sharing}), requested by {by} {at} → `/approve {slug}`",
        },
    }
)

# -- Microsoft Graph connections (SharePoint libraries, channel files) ------------------------------
MESSAGES.update(
    {
        "graph_not_configured": {
            "da": "Microsoft Graph er ikke sat op: en administrator skal sætte AARHUSAI_APP_ID, "
            "AARHUSAI_APP_PASSWORD og AARHUSAI_TENANT_ID (se infra/README.md).",
            "en": "Microsoft Graph is not set up: an administrator must set AARHUSAI_APP_ID, "
            "AARHUSAI_APP_PASSWORD and AARHUSAI_TENANT_ID (see infra/README.md).",
        },
        "graph_auth_failed": {
            "da": "AarhusAI fik ikke adgang til Microsoft Graph ({detail}). En administrator bør tjekke "
            "appens hemmelighed, lejer og AARHUSAI_LOGIN_URL.",
            "en": "AarhusAI could not sign in to Microsoft Graph ({detail}). An administrator should check "
            "the app's secret, tenant and AARHUSAI_LOGIN_URL.",
        },
        "graph_unreachable": {
            "da": "Microsoft Graph svarer ikke ({detail}). Synkroniseringen prøves igen senere.",
            "en": "Microsoft Graph is not answering ({detail}). The sync will be tried again later.",
        },
        "graph_foreign_link": {
            "da": "Microsoft Graph sendte et link til en anden vært end AARHUSAI_GRAPH_URL; det følges ikke.",
            "en": "Microsoft Graph sent a link to another host than AARHUSAI_GRAPH_URL; it is not followed.",
        },
        "graph_bad_answer": {
            "da": "Microsoft Graph svarede på en måde, AarhusAI ikke kan læse. Prøv igen senere.",
            "en": "Microsoft Graph answered in a way AarhusAI cannot read. Try again later.",
        },
        "graph_status": {
            "da": "Microsoft Graph svarede med fejl {status}. Synkroniseringen prøves igen senere.",
            "en": "Microsoft Graph answered with error {status}. The sync will be tried again later.",
        },
        "graph_forbidden": {
            "da": "AarhusAI har ikke adgang til dette SharePoint-websted. En administrator skal give appen "
            "adgang til webstedet (Sites.Selected, se infra/README.md).",
            "en": "AarhusAI has no access to this SharePoint site. An administrator must grant the app "
            "access to the site (Sites.Selected, see infra/README.md).",
        },
        "graph_url_invalid": {
            "da": "Adressen kan ikke læses som en SharePoint-adresse. Kopiér den fra browserens adresselinje.",
            "en": "The address cannot be read as a SharePoint address. Copy it from the browser's address bar.",
        },
        "graph_url_scheme": {
            "da": "En SharePoint-adresse skal begynde med https:// (ikke {scheme}).",
            "en": "A SharePoint address must start with https:// (not {scheme}).",
        },
        "graph_url_host": {
            "da": "Værten {host} er ikke et SharePoint-websted, AarhusAI må forbinde til "
            "(AARHUSAI_SHAREPOINT_HOSTS).",
            "en": "The host {host} is not a SharePoint site AarhusAI may connect to (AARHUSAI_SHAREPOINT_HOSTS).",
        },
        "graph_url_sharing_link": {
            "da": "Det er et delingslink. Åbn mappen i browseren og kopiér adressen fra adresselinjen i stedet.",
            "en": "That is a sharing link. Open the folder in the browser and copy the address from the "
            "address bar instead.",
        },
        "graph_url_not_library": {
            "da": "Adressen peger ikke på et dokumentbibliotek eller en mappe i et. Åbn biblioteket i "
            "browseren og kopiér adressen.",
            "en": "The address does not point to a document library or a folder in one. Open the library "
            "in the browser and copy its address.",
        },
        "graph_library_not_found": {
            "da": "Webstedet har intet dokumentbibliotek med adressen '{name}'.",
            "en": "The site has no document library at '{name}'.",
        },
        "graph_site_not_found": {
            "da": "SharePoint-webstedet findes ikke, eller AarhusAI har ikke adgang til det.",
            "en": "The SharePoint site does not exist, or AarhusAI has no access to it.",
        },
        "graph_folder_not_found": {
            "da": "Mappen findes ikke (længere) i dokumentbiblioteket.",
            "en": "The folder does not exist (any more) in the document library.",
        },
        "graph_not_a_folder": {
            "da": "Adressen peger på en fil, ikke en mappe. Forbind mappen, filen ligger i.",
            "en": "The address points to a file, not a folder. Connect the folder the file is in.",
        },
        "graph_folder_gone": {
            "da": "Den forbundne mappe er slettet i SharePoint.",
            "en": "The connected folder was deleted in SharePoint.",
        },
        "graph_channel_invalid": {
            "da": "Kanalens filer kan kun forbindes fra en kanal i et team.",
            "en": "A channel's files can only be connected from a channel in a team.",
        },
        "graph_channel_not_found": {
            "da": "Kanalens filmappe blev ikke fundet, eller AarhusAI har ikke adgang til teamets websted.",
            "en": "The channel's files folder was not found, or AarhusAI has no access to the team's site.",
        },
        "graph_unreadable_type": {
            "da": "{name}: filtypen {suffix} kan ikke læses (pdf, docx, html, md og txt kan)",
            "en": "{name}: the file type {suffix} cannot be read (pdf, docx, html, md and txt can)",
        },
        "graph_too_large": {
            "da": "filen er større end grænsen på {limit_mb} MB",
            "en": "the file is larger than the limit of {limit_mb} MB",
        },
        "graph_download_status": {
            "da": "filen kunne ikke hentes (svar {status})",
            "en": "the file could not be downloaded (answer {status})",
        },
        "graph_download_error": {
            "da": "filen kunne ikke hentes ({detail})",
            "en": "the file could not be downloaded ({detail})",
        },
        "graph_download_host": {
            "da": "filen skulle hentes fra {host}, som ikke er på listen over tilladte (AARHUSAI_DOWNLOAD_HOSTS)",
            "en": "the file was to be downloaded from {host}, which is not on the allow-list "
            "(AARHUSAI_DOWNLOAD_HOSTS)",
        },
        "graph_download_internal": {
            "da": "filens vært peger på en intern adresse",
            "en": "the file's host points to an internal address",
        },
        "graph_download_redirects": {
            "da": "der var over {limit} omdirigeringer",
            "en": "there were over {limit} redirects",
        },
    }
)

# Personal data in a group chat or channel (bot.services.shared_privacy): the asker is told why the
# answer there shows placeholders, in their personal chat, or in the reply when they cannot be reached.
MESSAGES.update(
    {
        "pii_shared_notice_group": {
            "da": "🔒 Dit spørgsmål til **{name}** i en gruppechat indeholdt {found}. Alle i chatten kan "
            "læse svaret, så oplysningerne er hverken sendt videre eller gentaget dér: de står som "
            "pladsholdere (fx ⟦CPR-1⟧). Skal du have et svar om netop den person, så spørg mig her i vores "
            "personlige chat.",
            "en": "🔒 Your question to **{name}** in a group chat held {found}. Everyone in the chat can "
            "read the answer, so the data was neither passed on nor repeated there: it shows as "
            "placeholders (such as ⟦CPR-1⟧). If you need an answer about that person, ask me here in our "
            "personal chat.",
        },
        "pii_shared_notice_channel": {
            "da": "🔒 Dit spørgsmål til **{name}** i en kanal indeholdt {found}. Alle i kanalen kan "
            "læse svaret, så oplysningerne er hverken sendt videre eller gentaget dér: de står som "
            "pladsholdere (fx ⟦CPR-1⟧). Skal du have et svar om netop den person, så spørg mig her i vores "
            "personlige chat.",
            "en": "🔒 Your question to **{name}** in a channel held {found}. Everyone in the channel can "
            "read the answer, so the data was neither passed on nor repeated there: it shows as "
            "placeholders (such as ⟦CPR-1⟧). If you need an answer about that person, ask me here in our "
            "personal chat.",
        },
        "pii_shared_unreached": {
            "da": "🔒 Spørgsmålet indeholdt {found}, som står som pladsholdere, fordi alle her kan læse "
            "svaret. Jeg kan ikke skrive personligt til dig endnu: skriv til mig i en personlig chat, så "
            "får du den slags beskeder dér.",
            "en": "🔒 The question held {found}, which shows as placeholders because everyone here can "
            "read the answer. I cannot write to you personally yet: write to me in a personal chat, and "
            "you will get such notes there.",
        },
    }
)


# -- connected sources (issue 24): /forbind, /forbindelser, /synkroniser, /afbryd ---------------------
MESSAGES.update(
    {
        "connect_usage": {
            "da": (
                "Skriv fx `/forbind web https://intra.aarhus.dk/hr/ maks=500 hver=24t`, "
                "`/forbind sharepoint <adresse på biblioteket>` eller `/forbind kanal` (kanalens filer)."
            ),
            "en": (
                "Type e.g. `/connect web https://intra.aarhus.dk/hr/ max=500 every=24h`, "
                "`/connect sharepoint <address of the library>` or `/connect channel` (the channel's files)."
            ),
        },
        "connection_bad_kind": {
            "da": "'{kind}' er ikke en slags forbindelse. Vælg web, sharepoint eller kanal.",
            "en": "'{kind}' is not a kind of connection. Choose web, sharepoint or channel.",
        },
        "connection_kind_unavailable": {
            "da": "Forbindelser af typen {kind} er ikke sat op på denne installation endnu. Spørg en administrator.",
            "en": "Connections of the kind {kind} are not set up on this installation yet. Ask an administrator.",
        },
        "connection_bad_url": {
            "da": "'{url}' er ikke en webadresse, der kan forbindes til (http eller https).",
            "en": "'{url}' is not a web address that can be connected (http or https).",
        },
        "connection_host_not_allowed": {
            "da": (
                "Værten {host} må ikke gennemsøges. En administrator kan tilføje den til "
                "AARHUSAI_CRAWL_HOSTS."
            ),
            "en": "The host {host} may not be crawled. An administrator can add it to AARHUSAI_CRAWL_HOSTS.",
        },
        "connection_bad_max": {
            "da": "maks skal være et tal mellem 1 og 100000 (ikke {value}).",
            "en": "max must be a number between 1 and 100000 (not {value}).",
        },
        "connection_bad_every": {
            "da": "'{value}' er ikke et interval. Skriv fx hver=24t, hver=6t eller hver=2d (mindst 15m).",
            "en": "'{value}' is not an interval. Type e.g. every=24h, every=6h or every=2d (at least 15m).",
        },
        "connection_unknown": {
            "da": "**{spec}** har ingen forbindelse ved navn '{name}'. Skriv /forbindelser for at se dem.",
            "en": "**{spec}** has no connection named '{name}'. Type /connections to see them.",
        },
        "connections_none": {
            "da": "**{name}** er ikke forbundet til noget endnu. Skriv /forbind for at forbinde.",
            "en": "**{name}** is not connected to anything yet. Type /connect to connect it.",
        },
        "connection_busy": {
            "da": "Forbindelsen {name} synkroniseres allerede. Prøv igen om lidt.",
            "en": "The connection {name} is already being synced. Try again shortly.",
        },
        "connected": {
            "da": (
                "**{name}** er forbundet til {target} som **{connection}** ({kind}, hver {every}, "
                "højst {max:p:side|sider}). Første synkronisering starter om lidt; skriv /synkroniser "
                "for at starte den nu."
            ),
            "en": (
                "**{name}** is connected to {target} as **{connection}** ({kind}, every {every}, "
                "at most {max:p:page|pages}). The first sync starts shortly; type /sync to start it now."
            ),
        },
        "connections_title": {"da": "Forbindelser for **{name}**:", "en": "Connections of **{name}**:"},
        "connection_line": {
            "da": (
                "- **{connection}** ({kind}) {target} · {documents:p:dokument|dokumenter} · "
                "sidst {last} · næste {next}"
            ),
            "en": (
                "- **{connection}** ({kind}) {target} · {documents:p:document|documents} · "
                "last {last} · next {next}"
            ),
        },
        "connection_never": {"da": "aldrig", "en": "never"},
        "connection_counts": {
            "da": (
                "  {added} tilføjet, {changed} ændret, {removed} fjernet, {unchanged} uændret, "
                "{refused} afvist, {failed} ikke hentet"
            ),
            "en": (
                "  {added} added, {changed} changed, {removed} removed, {unchanged} unchanged, "
                "{refused} refused, {failed} not fetched"
            ),
        },
        "connection_refused_line": {
            "da": "  ⚠ afvist: {name}: {reason}",
            "en": "  ⚠ refused: {name}: {reason}",
        },
        "connection_failed_line": {
            "da": "  ⚠ ikke hentet: {name}: {reason}",
            "en": "  ⚠ not fetched: {name}: {reason}",
        },
        "connection_error_line": {
            "da": "  ⚠ fejl ({failures:p:gang|gange} i træk): {error}",
            "en": "  ⚠ error ({failures:p:time|times} in a row): {error}",
        },
        "synced": {
            "da": "Synkroniseret **{connection}** på {seconds:.1f} s:",
            "en": "Synced **{connection}** in {seconds:.1f} s:",
        },
        "sync_failed": {
            "da": "Synkroniseringen af **{connection}** mislykkedes: {error}",
            "en": "The sync of **{connection}** failed: {error}",
        },
        "disconnected": {
            "da": "Forbindelsen **{connection}** er afbrudt, og {documents:p:dokument|dokumenter} er fjernet fra **{name}**.",
            "en": "The connection **{connection}** is removed, and {documents:p:document|documents} removed from **{name}**.",
        },
        "disconnect_which": {
            "da": "Hvilken forbindelse? Skriv `/afbryd <navn>`; /forbindelser viser navnene.",
            "en": "Which connection? Type `/disconnect <name>`; /connections shows the names.",
        },
        "notify_connection_failing": {
            "da": (
                "Forbindelsen **{connection}** for **{name}** er fejlet {failures:p:gang|gange} i træk "
                "({error}). Specialisten svarer fra de dokumenter, den har; se /forbindelser."
            ),
            "en": (
                "The connection **{connection}** of **{name}** has failed {failures:p:time|times} in a row "
                "({error}). The specialist answers from the documents it has; see /connections."
            ),
        },
        "source_origin": {"da": "{url} (ændret {modified})", "en": "{url} (modified {modified})"},
        "connect_usage_short": {
            "da": "web|sharepoint|kanal [<adresse>] [maks=500] [hver=24t]",
            "en": "web|sharepoint|channel [<address>] [max=500] [every=24h]",
        },
        "connect_channel_here": {
            "da": "Skriv `/forbind kanal` i selve Teams-kanalen, hvis filer skal forbindes (uden adresse); "
            "den virker ikke i en chat.",
            "en": "Type `/connect channel` in the Teams channel whose files should be connected (with no "
            "address); it does not work in a chat.",
        },
        "arg_connection": {"da": "forbindelse", "en": "connection"},
        "help_forbind": {
            "da": "forbind specialisten til intranettet, et SharePoint-bibliotek eller kanalens filer",
            "en": "connect the specialist to the intranet, a SharePoint library or the channel's files",
        },
        "help_forbindelser": {
            "da": "vis forbindelserne: sidste og næste synkronisering, optællinger, afviste dokumenter",
            "en": "show the connections: last and next sync, counts, refused documents",
        },
        "help_synkroniser": {
            "da": "synkroniser forbindelserne nu (eller én af dem)",
            "en": "sync the connections now (or one of them)",
        },
        "help_afbryd": {
            "da": "afbryd en forbindelse og fjern dens dokumenter",
            "en": "remove a connection and its documents",
        },
    }
)


# -- prompt starters, follow-up suggestions, the team welcome (issue 26) ------------------------------
MESSAGES.update(
    {
        # the general assistant's starters: one a line; the app manifest offers the Danish ones as Teams
        # prompt starters (tests/test_manifest.py keeps the two the same)
        "general_starters": {
            "da": "Skriv et udkast til en venlig mail, der takker for et godt møde\n"
            "Lav en dagsorden til et teammøde på en time\n"
            "Giv mig fem råd til at skrive klart og enkelt til borgere\n"
            "Hvad kan du hjælpe mig med i mit arbejde?",
            "en": "Write a draft of a friendly email that thanks someone for a good meeting\n"
            "Make an agenda for a one-hour team meeting\n"
            "Give me five tips for writing clearly and simply to citizens\n"
            "What can you help me with in my work?",
        },
        "suggestions_intro": {
            "da": "Vælg et af forslagene, eller skriv dit eget spørgsmål.",
            "en": "Pick one of the suggestions, or write your own question.",
        },
        "suggestions_examples": {"da": "Prøv fx: {examples}", "en": "Try for example: {examples}"},
        "followup_about": {
            "da": "Hvad siger kilderne om {topic}?",
            "en": "What do the sources say about {topic}?",
        },
        "welcome_team": {
            "da": "Hej! Jeg er AarhusAI, kommunens AI-assistent: jeg svarer ud fra kommunens egne dokumenter og "
            "viser kilderne, så du selv kan tjekke svaret.\n"
            "Nævn @AarhusAI i et indlæg med dit spørgsmål; /specialister viser, hvem der kan svare her.",
            "en": "Hi! I am AarhusAI, the municipality's AI assistant: I answer from the municipality's own "
            "documents and show the sources, so you can check the answer yourself.\n"
            "Mention @AarhusAI in a post with your question; /specialists shows who can answer here.",
        },
        "help_for_admins": {
            "da": "For administratorer og faglige systemejere:",
            "en": "For administrators and department owners:",
        },
        "help_startere": {
            "da": "de spørgsmål, specialisten foreslår sine brugere",
            "en": "the questions the specialist suggests to its users",
        },
        "usage_startere": {
            "da": "[<spørgsmål> | <spørgsmål> … | ryd]",
            "en": "[<question> | <question> … | clear]",
        },
        "content_field_starters": {"da": "startere", "en": "starters"},
        "starters_none": {
            "da": "**{name}** har ingen startere endnu. Skriv /startere <spørgsmål> | <spørgsmål> … (højst "
            "{most}, eller ét pr. linje), så får brugerne dem som forslag, når de vælger specialisten.",
            "en": "**{name}** has no starters yet. Type /starters <question> | <question> … (at most {most}, "
            "or one a line), and its users get them as suggestions when they choose the specialist.",
        },
        "starters_shown": {
            "da": "Startere for **{name}**:\n{listing}\n\nSkriv /startere <spørgsmål> | … for at erstatte "
            "dem, eller /startere ryd for at fjerne dem.",
            "en": "Starters of **{name}**:\n{listing}\n\nType /starters <question> | … to replace them, "
            "or /starters clear to remove them.",
        },
        "starters_saved": {
            "da": (
                "**{name}** har nu {count} starter. Brugerne får den som forslag, når de vælger specialisten.",
                "**{name}** har nu {count} startere. Brugerne får dem som forslag, når de vælger specialisten.",
            ),
            "en": (
                "**{name}** now has {count} starter. Its users get it as a suggestion when they choose the "
                "specialist.",
                "**{name}** now has {count} starters. Its users get them as suggestions when they choose the "
                "specialist.",
            ),
        },
        "starters_unchanged": {
            "da": "Starterne for **{name}** er uændrede.",
            "en": "The starters of **{name}** are unchanged.",
        },
        "starters_cleared": {
            "da": "**{name}** har ikke længere nogen startere.",
            "en": "**{name}** no longer has any starters.",
        },
        "starters_no_commands": {
            "da": "En starter er et spørgsmål, ikke en kommando: »{starter}«.",
            "en": "A starter is a question, not a command: »{starter}«.",
        },
        "starters_length": {
            "da": "Hver starter skal være {low}-{high} tegn: »{starter}«.",
            "en": "Each starter must be {low}-{high} characters: »{starter}«.",
        },
        "starters_too_many": {
            "da": "Højst {most} startere; du skrev {count}.",
            "en": "At most {most} starters; you wrote {count}.",
        },
    }
)


class Msg:
    """A message kept as key and values, rendered later in the language of whoever reads it (also as a
    value inside another message)."""

    def __init__(self, key: str, /, **values: object) -> None:
        self.key = key
        self.values = values

    def render(self, locale: str = "da") -> str:
        return t(self.key, locale, **self.values)

    def __str__(self) -> str:
        return self.render()


# Per-channel behaviour (/kanal) and "Om specialisten" (/om): issue 26.
MESSAGES.update(
    {
        "help_kanal": {
            "da": "vis kanalens indstillinger; en Builder kan vælge kanalens specialist og om jeg svarer på "
            "alle nye opslag",
            "en": "show the channel's settings; a Builder can choose the channel's specialist and whether I "
            "answer every new post",
        },
        "usage_kanal": {
            "da": "[specialist <navn> | svar alle | svar nævnt]",
            "en": "[specialist <name> | answer all | answer mentioned]",
        },
        "help_om": {
            "da": "vis formål, ejer, kilder, data og model for en specialist",
            "en": "show a specialist's purpose, owner, sources, data and model",
        },
        "channel_only": {
            "da": "Kanalindstillinger findes kun i et teams kanaler. Skriv /brug <navn> for at vælge her.",
            "en": "Channel settings exist only in a team's channels. Type /use <name> to choose here.",
        },
        "channel_needs_builder": {
            "da": "Kun en Builder i afdelingen bag **{name}** eller en administrator kan ændre kanalens "
            "indstillinger. Du kan vælge en specialist til din egen tråd med /brug <navn>.",
            "en": "Only a Builder of the department behind **{name}** or an administrator can change the "
            "channel's settings. You can choose a specialist for your own thread with /use <name>.",
        },
        "channel_title": {"da": "**Kanalens indstillinger**", "en": "**The channel's settings**"},
        "channel_specialist": {"da": "Specialist: **{name}**", "en": "Specialist: **{name}**"},
        "channel_not_chosen": {"da": "(ingen valgt endnu)", "en": "(none chosen yet)"},
        "channel_mode_mentioned": {
            "da": "Svarer: kun når jeg bliver @nævnt",
            "en": "Answers: only when I am @mentioned",
        },
        "channel_mode_all": {
            "da": "Svarer: på alle nye opslag (en spørgsmålskanal)",
            "en": "Answers: every new post (a question channel)",
        },
        "channel_in_thread": {
            "da": "Svaret kommer i opslagets tråd",
            "en": "The answer comes in the post's thread",
        },
        "channel_changed_by": {"da": "Sidst ændret {when} af {who}.", "en": "Last changed {when} by {who}."},
        "channel_how": {
            "da": "Skift med /kanal specialist <navn>, /kanal svar alle eller /kanal svar nævnt.",
            "en": "Change it with /channel specialist <name>, /channel answer all or /channel answer mentioned.",
        },
        "channel_how_readonly": {
            "da": "En Builder i specialistens afdeling eller en administrator kan ændre dem.",
            "en": "A Builder of the specialist's department or an administrator can change them.",
        },
        "channel_answer_which": {
            "da": "Skriv /kanal svar alle (svar på alle nye opslag) eller /kanal svar nævnt (kun når jeg "
            "bliver @nævnt).",
            "en": "Type /channel answer all (answer every new post) or /channel answer mentioned (only when "
            "I am @mentioned).",
        },
        "channel_unknown": {
            "da": "Skriv /kanal for at se kanalens indstillinger, /kanal specialist <navn> eller /kanal svar "
            "alle|nævnt for at ændre dem.",
            "en": "Type /channel to see the channel's settings, /channel specialist <name> or /channel answer "
            "all|mentioned to change them.",
        },
        "channel_answer_all_set": {
            "da": "Nu svarer **{name}** på alle nye opslag i kanalen, i opslagets tråd. Svar i en tråd "
            "besvares kun, når jeg bliver @nævnt.",
            "en": "**{name}** now answers every new post in the channel, in the post's thread. Replies in a "
            "thread are answered only when I am @mentioned.",
        },
        "channel_answer_mentioned_set": {
            "da": "Nu svarer jeg kun i kanalen, når jeg bliver @nævnt.",
            "en": "I now answer in the channel only when I am @mentioned.",
        },
        "about_button": {"da": "Om specialisten", "en": "About the specialist"},
        "about_short_button": {"da": "Om", "en": "About"},
        "about_title": {"da": "Om {name}", "en": "About {name}"},
        "about_purpose": {"da": "Formål", "en": "Purpose"},
        "about_owner": {"da": "Ejer", "en": "Owner"},
        "about_responsible": {"da": "Ansvarlig", "en": "Responsible"},
        "about_department": {"da": "Afdeling", "en": "Department"},
        "about_sources": {"da": "Kilder", "en": "Sources"},
        "about_sources_value": {
            "da": ("{count} kilde, senest tilføjet {date}", "{count} kilder, senest tilføjet {date}"),
            "en": ("{count} source, newest added {date}", "{count} sources, newest added {date}"),
        },
        "about_no_sources": {"da": "ingen", "en": "none"},
        "about_classification": {"da": "Data, den må se", "en": "Data it may see"},
        "about_model": {"da": "Model", "en": "Model"},
        "about_model_where": {"da": "{model} · {where}", "en": "{model} · {where}"},
        "about_no_model": {
            "da": "ingen sprogmodel forbundet: svarer med uddrag af kilderne",
            "en": "no language model connected: answers with passages from the sources",
        },
        "about_screened": {"da": "Senest risikovurderet", "en": "Last risk screened"},
        "about_not_screened": {"da": "ikke endnu", "en": "not yet"},
        "about_unknown": {"da": "ikke angivet", "en": "not given"},
    }
)


# A message field with one of these names shows an enum value: a plain string that is one of its members
# (as the stores hold them) is rendered like the member, so no door can show "personal" to a Dane. The
# value is the enum's key prefix (``sharing_organisation``); named, not imported, as bot.domain imports
# the error tree, which words its errors here.
# -- insights: themes of what went unanswered, /indsigt, the weekly digest, the report (issue 25) -----
MESSAGES.update(
    {
        "help_indsigt": {
            "da": "temaer i spørgsmål uden svar og svar med 👎, med en knap til en testcase",
            "en": "themes of unanswered questions and answers given 👎, with a button for a test case",
        },
        "usage_indsigt": {
            "da": "[specialist] · /indsigt spørgsmål <nummer> · /indsigt test <nummer>",
            "en": "[specialist] · /insights questions <number> · /insights test <number>",
        },
        "insights_title": {
            "da": "Indsigt: {name}, de seneste to uger",
            "en": "Insights: {name}, the last two weeks",
        },
        "insights_intro": {
            "da": "Spørgsmål uden svar i kilderne og svar med 👎, samlet i temaer (personoplysninger skjult). "
            "Tallet er denne uge; i parentes ændringen siden ugen før.",
            "en": "Questions the sources had no answer to and answers given 👎, grouped in themes (personal "
            "data masked). The figure is this week; in brackets the change since the week before.",
        },
        "insights_none": {
            "da": "Ingen spørgsmål uden svar og ingen 👎 de seneste to uger. Godt gået.",
            "en": "No unanswered questions and no 👎 in the last two weeks. Well done.",
        },
        "insights_specialist": {
            "da": "**{name}**: {count} denne uge ({change})",
            "en": "**{name}**: {count} this week ({change})",
        },
        "insights_theme": {
            "da": "«{label}»: {count} ({change}) · uden kilde {no_source} · 👎 {disliked}{reasons}",
            "en": "«{label}»: {count} ({change}) · no source {no_source} · 👎 {disliked}{reasons}",
        },
        "insights_reasons": {"da": " · begrundelser: {reasons}", "en": " · reasons: {reasons}"},
        "insights_no_reason": {"da": "ingen begrundelse", "en": "no reason given"},
        "insights_more": {
            "da": "… og {count:p:tema mere|temaer mere}",
            "en": "… and {count:p:more theme|more themes}",
        },
        "insights_test_button": {"da": "Gør til testcase", "en": "Make a test case"},
        "insights_questions_button": {"da": "Se spørgsmålene", "en": "See the questions"},
        "insights_verified_button": {"da": "Skriv et verificeret svar", "en": "Write a verified answer"},
        "insights_open_button": {"da": "Vis indsigt", "en": "Show insights"},
        "insights_verified_title": {
            "da": "Verificeret svar til **{name}**",
            "en": "Verified answer for **{name}**",
        },
        "insights_verified_question": {
            "da": "Spørgsmål (personoplysninger skjult; ret det gerne)",
            "en": "Question (personal data masked; reword it as you like)",
        },
        "insights_verified_answer": {"da": "Svar", "en": "Answer"},
        "insights_verified_review": {
            "da": "Revisionsdato, ÅÅÅÅ-MM-DD (valgfri)",
            "en": "Review date, YYYY-MM-DD (optional)",
        },
        "insights_verified_save": {"da": "Gem det verificerede svar", "en": "Save the verified answer"},
        "insights_verified_saved": {
            "da": "Det verificerede svar er gemt i **{name}** og skal revideres senest {date}.",
            "en": "The verified answer is saved in **{name}** and is due for review by {date}.",
        },
        "insights_verified_empty": {
            "da": "Skriv både spørgsmålet og svaret.",
            "en": "Write both the question and the answer.",
        },
        "insights_verified_date": {
            "da": "Skriv revisionsdatoen som ÅÅÅÅ-MM-DD, fx 2027-06-30.",
            "en": "Write the review date as YYYY-MM-DD, e.g. 2027-06-30.",
        },
        "insights_test_added": {
            "da": "Testcase {number} er tilføjet til **{name}**: «{question}» skal besvares. Skriv hvad svaret "
            "skal indeholde med /test tilføj, og kør dem med /test kør.",
            "en": "Test case {number} is added to **{name}**: «{question}» must be answered. Say what the "
            "answer must contain with /test add, and run them with /test run.",
        },
        "insights_questions_title": {
            "da": "Spørgsmål i temaet «{label}» ({name}), nyeste først, personoplysninger skjult:",
            "en": "Questions in the theme «{label}» ({name}), newest first, personal data masked:",
        },
        "insights_question": {"da": "- «{question}»", "en": "- «{question}»"},
        "insights_theme_gone": {
            "da": "Det tema findes ikke længere (eller er ikke dit at se). Skriv /indsigt for de aktuelle.",
            "en": "That theme no longer exists (or is not yours to see). Write /insights for the current ones.",
        },
        "insights_digest_title": {
            "da": "**Ugens indsigt**: spørgsmål uden svar og svar med 👎 i dine specialister",
            "en": "**This week's insights**: unanswered questions and answers given 👎 in your specialists",
        },
        "insights_digest_specialist": {
            "da": "**{name}**: {count} denne uge ({change} siden ugen før)",
            "en": "**{name}**: {count} this week ({change} since the week before)",
        },
        "insights_digest_theme": {
            "da": "- «{label}»: {count} ({change})",
            "en": "- «{label}»: {count} ({change})",
        },
        "insights_digest_more": {
            "da": "Se alle temaer og gør et spørgsmål til en testcase med /indsigt.",
            "en": "See every theme and make a question a test case with /insights.",
        },
        "stats_reasons": {"da": "- 👎 efter begrundelse: {reasons}", "en": "- 👎 by reason: {reasons}"},
        "stats_busiest": {
            "da": "- flest spørgsmål på en dag: {count} ({day}); temaer: /indsigt",
            "en": "- most questions on one day: {count} ({day}); themes: /insights",
        },
        "report_title": {"da": "Indsigt: {name}", "en": "Insights: {name}"},
        "report_generated": {
            "da": "Lavet {at} · de seneste {days} dage · personoplysninger skjult",
            "en": "Made {at} · the last {days} days · personal data masked",
        },
        "report_per_day": {"da": "Spørgsmål pr. dag", "en": "Questions per day"},
        "report_returning": {"da": "Brugere der vender tilbage", "en": "Returning users"},
        "report_users": {"da": "brugere i alt", "en": "users in all"},
        "report_within_7": {"da": "inden for 7 dage", "en": "within 7 days"},
        "report_within_30": {"da": "inden for 30 dage", "en": "within 30 days"},
        "report_outcomes": {"da": "Svar, uden kilde og 👎", "en": "Answered, no source and 👎"},
        "report_answered": {"da": "besvaret", "en": "answered"},
        "report_no_source": {"da": "uden kilde", "en": "no source"},
        "report_disliked": {"da": "fik 👎", "en": "given 👎"},
        "report_questions": {"da": "{count:p:spørgsmål|spørgsmål}", "en": "{count:p:question|questions}"},
        "report_reasons": {"da": "Feedback efter begrundelse", "en": "Feedback by reason"},
        "report_themes": {"da": "Temaer", "en": "Themes"},
        "report_this_week": {"da": "denne uge", "en": "this week"},
        "report_last_week": {"da": "ugen før", "en": "the week before"},
        "report_nothing": {"da": "Intet at vise.", "en": "Nothing to show."},
        "report_written": {
            "da": "Skrev {html} og {json}.",
            "en": "Wrote {html} and {json}.",
        },
    }
)


ENUM_FIELDS: dict[str, str] = {
    "sharing": "sharing",
    "classification": "classification",
    "ceiling": "classification",
    "status": "status",
    "role": "role",
}


def t_enum(value: Enum, locale: str = "da") -> str:
    """A domain enum member (sharing level, classification, status, role) in ``locale``; the key is
    ``<enum name>_<value>``, e.g. ``sharing_organisation``. A member without a key shows its value."""
    key = f"{type(value).__name__.lower()}_{value.value}"
    return t(key, locale) if key in MESSAGES else str(value.value)


class Words:
    """Catalogue words shown as one comma-separated list in the reader's language (the screening keys a
    reply names, the data categories it shows)."""

    key = "words"

    def __init__(self, *keys: str) -> None:
        self.keys = keys

    def render(self, locale: str = "da") -> str:
        return ", ".join(t(key, locale) for key in self.keys)

    def __str__(self) -> str:
        return self.render()


class _Shown:
    """A stored enum value, shown through its catalogue key in the reader's language."""

    def __init__(self, key: str) -> None:
        self.key = key

    def render(self, locale: str = "da") -> str:
        return t(self.key, locale)


class _Formatter(string.Formatter):
    def __init__(self, locale: str) -> None:
        self.locale = locale

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> Any:
        value, used = super().get_field(field_name, args, kwargs)
        prefix = ENUM_FIELDS.get(field_name)
        if prefix is not None and isinstance(value, str) and not isinstance(value, Enum):
            key = f"{prefix}_{value}"
            if key in MESSAGES:
                value = _Shown(key)
        return value, used

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec.startswith("p:"):
            one, _, other = format_spec[2:].partition("|")
            return f"{value} {one if value == 1 else other}"
        return super().format_field(_localised(value, self.locale), format_spec)

    def get_value(self, key: int | str, args: Any, kwargs: Any) -> Any:
        if isinstance(key, str) and key not in kwargs:
            # a value kept in each language (``found_da``, ``found_en``: a stored notification's plain
            # values, rendered when sent) fills ``{found}`` in the reader's
            for locale in (self.locale, "da"):
                if f"{key}_{locale}" in kwargs:
                    return kwargs[f"{key}_{locale}"]
            return "…"  # a missing value must never turn a refusal into a crash
        return super().get_value(key, args, kwargs)


def _renders(value: Any) -> bool:
    return callable(getattr(value, "render", None)) and hasattr(value, "key")  # an error, a Msg


def _localised(value: Any, locale: str) -> Any:
    if _renders(value):
        return value.render(locale)
    if isinstance(value, list) and value and all(_renders(v) for v in value):
        return " ".join(v.render(locale) for v in value)
    if isinstance(value, Enum) and f"{type(value).__name__.lower()}_{value.value}" in MESSAGES:
        return t_enum(value, locale)
    return value


def t(key: str, locale: str = "da", /, **values: object) -> str:
    """Look up a message in ``locale`` (falling back to Danish) and fill in ``values``."""
    entry = MESSAGES[key]
    text = entry.get(locale, entry["da"])
    if isinstance(text, tuple):
        text = text[0] if values.get("count") == 1 else text[1]
    return _Formatter(locale).format(text, **values) if values else text


# -- the feedback loop: the employee's form, experts, hand-offs, verified answers ---------------------
MESSAGES.update(
    {
        "feedback_form_title": {
            "da": "Hvad var der galt med svaret?",
            "en": "What was wrong with the answer?",
        },
        "feedback_form_title_like": {
            "da": "Hvad var godt ved svaret?",
            "en": "What was good about the answer?",
        },
        "feedback_form_reason": {"da": "Årsag", "en": "Reason"},
        "feedback_form_comment": {"da": "Kommentar (valgfri)", "en": "Comment (optional)"},
        "feedback_form_person_label": {"da": "Spørg en fagperson", "en": "Ask a person"},
        "feedback_form_person": {
            "da": "Send mit spørgsmål til specialistens fagpersoner, så de kan svare mig her",
            "en": "Send my question to the specialist's experts, so they can answer me here",
        },
        "feedback_form_send": {"da": "Send", "en": "Submit"},
        "feedback_thanks": {"da": "Tak for din tilbagemelding.", "en": "Thank you for your feedback."},
        "feedback_reason_wrong": {"da": "Forkert", "en": "Wrong"},
        "feedback_reason_outdated": {"da": "Forældet", "en": "Out of date"},
        "feedback_reason_source_missing": {"da": "Kilde mangler", "en": "Source missing"},
        "feedback_reason_not_asked": {"da": "Ikke det, jeg spurgte om", "en": "Not what I asked"},
        "feedback_reason_other": {"da": "Andet", "en": "Other"},
        "help_spørg-en-fagperson": {
            "da": "send det seneste svar her til specialistens fagpersoner; deres svar kommer her",
            "en": "send the latest answer here to the specialist's experts; their answer comes here",
        },
        "arg_comment": {"da": "kommentar", "en": "comment"},
        "help_verificer": {
            "da": "gem et verificeret svar i den specialist, du redigerer (vises først og med dit navn)",
            "en": "save a verified answer in the specialist you are editing (shown first, with your name)",
        },
        "usage_verificer": {
            "da": "‹spørgsmål› | ‹svar› [| ‹ÅÅÅÅ-MM-DD›]",
            "en": "‹question› | ‹answer› [| ‹YYYY-MM-DD›]",
        },
        "usage_verificer_hint": {
            "da": "Skriv /verificer ‹spørgsmål› | ‹svar›, og eventuelt | ‹revisionsdato ÅÅÅÅ-MM-DD›.",
            "en": "Write /verify ‹question› | ‹answer›, and optionally | ‹review date YYYY-MM-DD›.",
        },
        "experts_none": {"da": "ingen", "en": "none"},
        "experts_channel_named": {"da": "kanalen {name}", "en": "the channel {name}"},
        "experts_channel_of": {"da": "fagpersoner for {name}", "en": "experts of {name}"},
        "experts_channel_here": {
            "da": "Skriv /indstil fagpersoner kanal i selve den kanal, fagpersonerne bruger.",
            "en": "Write /set experts channel in the very channel the experts use.",
        },
        "experts_which": {
            "da": "Nævn fagpersonerne med @navn, skriv kanal (i deres kanal) eller ingen.",
            "en": "Name the experts with @name, write channel (in their channel) or none.",
        },
        "experts_set": {"da": "Fagpersoner for {name}: {experts}.", "en": "Experts of {name}: {experts}."},
        "handoff_no_answer": {
            "da": "Der er endnu ikke et svar her, som en fagperson kan se på. Stil dit spørgsmål først.",
            "en": "There is no answer here yet for an expert to look at. Ask your question first.",
        },
        "handoff_no_experts": {
            "da": "{name} har ingen fagpersoner endnu. Bed specialistens Builder om at tilføje dem.",
            "en": "{name} has no experts yet. Ask the specialist's Builder to add them.",
        },
        "handoff_no_place": {
            "da": "Fagpersonernes svar kan kun komme frem i Teams. Spørg derfra.",
            "en": "The experts' answer can only arrive in Teams. Ask from there.",
        },
        "handoff_notify": {
            "da": "En medarbejder beder om hjælp til et svar fra {name}.",
            "en": "An employee asks for help with an answer from {name}.",
        },
        "handoff_card_title": {"da": "Dit svar til medarbejderen", "en": "Your answer to the employee"},
        "handoff_card": {
            "da": (
                "**{asker}** spurgte **{name}** og fik ikke hjælp nok.\n\n**Spørgsmål:** {question}\n\n"
                "**Svar:** {answer}\n\n**Kilder:** {sources}\n\n**Årsag:** {reason}\n\n**Kommentar:** {comment}"
            ),
            "en": (
                "**{asker}** asked **{name}** and was not helped enough.\n\n**Question:** {question}\n\n"
                "**Answer:** {answer}\n\n**Sources:** {sources}\n\n**Reason:** {reason}\n\n**Comment:** {comment}"
            ),
        },
        "handoff_no_sources": {"da": "ingen", "en": "none"},
        "handoff_reply_label": {"da": "Dit svar", "en": "Your answer"},
        "handoff_verify_label": {"da": "Verificeret svar", "en": "Verified answer"},
        "handoff_verify_title": {
            "da": "Gem spørgsmål og svar som et verificeret svar i specialisten",
            "en": "Save question and answer as a verified answer of the specialist",
        },
        "handoff_send": {"da": "Send svaret", "en": "Send the answer"},
        "handoff_unknown": {
            "da": "Den henvendelse findes ikke længere.",
            "en": "That request no longer exists.",
        },
        "handoff_not_expert": {
            "da": "Kun fagpersonerne for {name} og dens Builders kan svare på denne henvendelse.",
            "en": "Only the experts of {name} and its Builders can answer this request.",
        },
        "handoff_reply_empty": {
            "da": "Skriv dit svar i feltet først.",
            "en": "Write your answer in the field first.",
        },
        "handoff_already": {
            "da": "Henvendelsen er allerede besvaret af {by}.",
            "en": "The request has already been answered by {by}.",
        },
        "handoff_answer": {
            "da": "**{who}** (fagperson for {name}) har svaret på dit spørgsmål «{question}»:\n\n{answer}\n\n{byline}",
            "en": "**{who}** (expert of {name}) has answered your question «{question}»:\n\n{answer}\n\n{byline}",
        },
        "handoff_byline": {"da": "_Skrevet af {who}, {date}_", "en": "_Written by {who}, {date}_"},
        "handoff_asked": {
            "da": "Jeg har sendt dit spørgsmål til fagpersonerne for {name} ({experts}). Deres svar kommer her.",
            "en": "I have sent your question to the experts of {name} ({experts}). Their answer will come here.",
        },
        "handoff_waiting": {
            "da": "{names} har ikke skrevet til botten endnu og får det, når de gør.",
            "en": "{names} have not written to the bot yet and get it when they do.",
        },
        "handoff_sent": {
            "da": "Tak. Dit svar er sendt til {asker}.",
            "en": "Thank you. Your answer is sent to {asker}.",
        },
        "verified_saved": {
            "da": "Svaret er gemt som verificeret svar i {name}.",
            "en": "The answer is saved as a verified answer of {name}.",
        },
        "verified_saved_until": {
            "da": "Det verificerede svar er gemt i {name} og vises indtil revisionsdatoen {date}.",
            "en": "The verified answer is saved in {name} and is shown until its review date {date}.",
        },
        "verified_not_allowed": {
            "da": "Kun fagpersonerne for {name} og dens Builders kan gemme verificerede svar.",
            "en": "Only the experts of {name} and its Builders can save verified answers.",
        },
        "verified_empty": {
            "da": "Både spørgsmål og svar skal udfyldes.",
            "en": "Both question and answer are needed.",
        },
        "verified_review_past": {
            "da": "Revisionsdatoen skal ligge i fremtiden.",
            "en": "The review date must be in the future.",
        },
        "verified_review_format": {
            "da": "Skriv revisionsdatoen som ÅÅÅÅ-MM-DD.",
            "en": "Write the review date as YYYY-MM-DD.",
        },
        "verified_citation": {"da": "Verificeret af {who}, {date}", "en": "Verified by {who}, {date}"},
        "verified_overdue": {
            "da": "Verificerede svar forbi revisionsdatoen (vises ikke længere): {items}. Gem dem igen med /verificer, hvis de stadig gælder.",
            "en": "Verified answers past their review date (no longer shown): {items}. Save them again with /verify if they still hold.",
        },
    }
)
