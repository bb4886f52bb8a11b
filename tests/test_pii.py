"""The PII guard: Danish personal data is found and redacted, ordinary numbers are left alone."""

from __future__ import annotations

import re

import pytest

from bot.llm.pii import Finding, Redactor, describe, find_pii


def kinds_and_values(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.value) for f in find_pii(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # 1 Feb 1903: 7th digit 1 -> 1900s.
        ("Borgeren med CPR 010203-1234 ringede i går.", [("cpr", "010203-1234")]),
        ("CPR-nr.: 0102031234, bor i Viby J.", [("cpr", "0102031234")]),
        ("Hans cpr er 150875 1234 ifølge journalen.", [("cpr", "150875 1234")]),
        # 29 Feb 2000: 7th digit 4, yy 00 <= 36 -> 2000, a leap year.
        ("Barnet (290200-4567) er indskrevet.", [("cpr", "290200-4567")]),
        # 29 Feb 1996: 7th digit 2 -> 1996, a leap year.
        ("Ansøger 290296-2345 har søgt boligstøtte.", [("cpr", "290296-2345")]),
        # 7th digit 5, yy 58 > 57 -> 1858: an old but valid date.
        ("Arkivsag vedr. 311258-5000.", [("cpr", "311258-5000")]),
        # A CPR number without a valid modulus-11 check still counts.
        ("cpr 111111-1112", [("cpr", "111111-1112")]),
        ("Skriv til anne.østergaard@aarhus.dk om sagen.", [("email", "anne.østergaard@aarhus.dk")]),
        ("Kontakt: jens.hansen+byg@mail.aarhus.dk.", [("email", "jens.hansen+byg@mail.aarhus.dk")]),
        ("Hun kan træffes på 22 34 56 78 efter kl. 16.", [("phone", "22 34 56 78")]),
        ("Ring på 8940 2000 i åbningstiden.", [("phone", "8940 2000")]),
        ("Mobil 41234567.", [("phone", "41234567")]),
        ("Tlf. +45 87 65 43 21", [("phone", "+45 87 65 43 21")]),
        ("Tlf. +4587654321", [("phone", "+4587654321")]),
        ("Udlandet: 0045 87654321", [("phone", "0045 87654321")]),
        ("Udbetal til 1234-1234567890 hurtigst muligt.", [("account", "1234-1234567890")]),
        ("Kontoen er 1234 0001234567.", [("account", "1234 0001234567")]),
        ("Kontoen er 1234/12345678.", [("account", "1234/12345678")]),
        ("Overfør til reg. 1234 konto 12345678 i morgen.", [("account", "1234 konto 12345678")]),
        ("Betal til DK50 0040 0440 1162 43 senest fredag.", [("iban", "DK50 0040 0440 1162 43")]),
        ("IBAN: DK5000400440116243", [("iban", "DK5000400440116243")]),
        ("Britisk konto GB29 NWBK 6016 1331 9268 19.", [("iban", "GB29 NWBK 6016 1331 9268 19")]),
        # A following four-character word is not swallowed into the IBAN.
        ("BE68 5390 0754 7034 2024 blev kontoen oprettet.", [("iban", "BE68 5390 0754 7034")]),
        (
            "CPR 010203-1234, tlf. 22 34 56 78, mail ole@aarhus.dk",
            [("cpr", "010203-1234"), ("phone", "22 34 56 78"), ("email", "ole@aarhus.dk")],
        ),
    ],
)
def test_finds_danish_personal_data(text: str, expected: list[tuple[str, str]]) -> None:
    assert kinds_and_values(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "CPR 320188-1234 er ugyldigt.",  # day 32
        "CPR 011388-1234 er ugyldigt.",  # month 13
        "CPR 000188-1234 er ugyldigt.",  # day 0
        "CPR 290223-4567 er ugyldigt.",  # 7th digit 4, yy 23 -> 2023: not a leap year
        "CPR 290200-1234 er ugyldigt.",  # 7th digit 1 -> 1900: not a leap year
        "CPR 290258-5678 er ugyldigt.",  # 7th digit 5, yy 58 -> 1858: not a leap year
        "CPR 310489-0123 er ugyldigt.",  # 31 April
    ],
)
def test_invalid_cpr_dates_are_not_cpr_numbers(text: str) -> None:
    assert [f for f in find_pii(text) if f.kind == "cpr"] == []


@pytest.mark.parametrize(
    "text",
    [
        "Huslejen er 3.500 kr. om måneden.",
        "Tilskuddet udgør 22345678 kr. i alt.",
        "Tilskuddet udgør 12345678 kr. i alt.",
        "Prisen er 22345678,- inkl. moms.",
        "Budgettet er 22 34 56 78 kr.",
        "Beløbet er kr. 22345678.",
        "Beløb: 1.234.567,00 kr.",
        "Mødet er den 12-05-2024 kl. 10.",
        "Mødet er den 12.05.2024 kl. 10.",
        "Rådhuset, Rådhuspladsen 2, 8000 Aarhus C",
        "Strategien gælder for 2019-2024 og 2025–2030.",
        "Skoleåret 2024/2025 starter i august.",
        "Sagen har nummer 202400012345.",
        "Sagsnr. 2024-123456 er afsluttet.",
        "Virksomheden har CVR 29189919.",
        "Nummeret 12345678 starter med 1 og er ikke et dansk telefonnummer.",
        "Del af et længere tal: 1234567890123.",
        "Version 0102031234567 af filen.",
        "Skriv til os via formularen på aarhus.dk.",
    ],
)
def test_ordinary_numbers_are_not_personal_data(text: str) -> None:
    assert find_pii(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Betal til DK51 0040 0440 1162 43.",  # check digits off by one
        "Betal til DK5000400440116244.",  # last digit changed
        "Betal til GB28 NWBK 6016 1331 9268 19.",
    ],
)
def test_iban_with_wrong_checksum_is_not_found(text: str) -> None:
    assert find_pii(text) == []


def test_findings_carry_their_span() -> None:
    text = "Ring 22345678 nu"
    assert find_pii(text) == [Finding("phone", "22345678", 5, 13)]
    assert text[5:13] == "22345678"


def test_overlaps_keep_the_more_specific_kind() -> None:
    # The IBAN's digits also look like a phone number ("5390 0754"); the IBAN wins.
    assert kinds_and_values("BE68 5390 0754 7034") == [("iban", "BE68 5390 0754 7034")]
    # A 10-digit account number that is also a valid CPR number: CPR wins by precedence.
    assert kinds_and_values("konto 1234 0412345678") == [("cpr", "0412345678")]


def test_redaction_round_trip() -> None:
    redactor = Redactor()
    text = (
        "Borgeren med CPR 010203-1234 ringede fra 22 34 56 78 og bad om svar til "
        "anne.østergaard@aarhus.dk. Udbetal til 1234-1234567890 eller DK50 0040 0440 1162 43."
    )
    redaction = redactor.redact(text)

    assert redaction.text == (
        "Borgeren med CPR ⟦CPR-1⟧ ringede fra ⟦TLF-1⟧ og bad om svar til "
        "⟦EMAIL-1⟧. Udbetal til ⟦KONTO-1⟧ eller ⟦IBAN-1⟧."
    )
    assert not re.search(r"\d", re.sub(r"⟦[A-Z]+-\d+⟧", "", redaction.text))  # no original digit remains
    assert "østergaard" not in redaction.text
    assert redaction.kinds == {"cpr": 1, "phone": 1, "email": 1, "account": 1, "iban": 1}
    assert redaction.mapping == {
        "⟦CPR-1⟧": "010203-1234",
        "⟦TLF-1⟧": "22 34 56 78",
        "⟦EMAIL-1⟧": "anne.østergaard@aarhus.dk",
        "⟦KONTO-1⟧": "1234-1234567890",
        "⟦IBAN-1⟧": "DK50 0040 0440 1162 43",
    }
    assert redactor.restore(redaction.text) == text

    answer = "Jeg har noteret ⟦CPR-1⟧ og sender svar til ⟦EMAIL-1⟧."
    assert redactor.restore(answer) == (
        "Jeg har noteret 010203-1234 og sender svar til anne.østergaard@aarhus.dk."
    )


def test_restore_touches_only_exact_known_placeholders() -> None:
    redactor = Redactor()
    redactor.redact("CPR 010203-1234")
    answer = "⟦CPR-1⟧, CPR-1, [CPR-1], ⟦CPR-2⟧ og ⟦cpr-1⟧"
    assert redactor.restore(answer) == "010203-1234, CPR-1, [CPR-1], ⟦CPR-2⟧ og ⟦cpr-1⟧"


def test_same_value_same_placeholder_within_and_across_texts() -> None:
    redactor = Redactor()
    first = redactor.redact("CPR 010203-1234 og igen 010203-1234, også skrevet 0102031234.")
    assert first.text == "CPR ⟦CPR-1⟧ og igen ⟦CPR-1⟧, også skrevet ⟦CPR-1⟧."
    assert first.kinds == {"cpr": 1}

    second = redactor.redact("Søsteren har 150875-2345, og broren er stadig 010203-1234.")
    assert second.text == "Søsteren har ⟦CPR-2⟧, og broren er stadig ⟦CPR-1⟧."
    assert second.mapping == {"⟦CPR-2⟧": "150875-2345", "⟦CPR-1⟧": "010203-1234"}
    assert second.kinds == {"cpr": 2}
    assert redactor.mapping == {"⟦CPR-1⟧": "010203-1234", "⟦CPR-2⟧": "150875-2345"}


def test_differently_written_numbers_share_a_placeholder() -> None:
    redactor = Redactor()
    redaction = redactor.redact(
        "Ring +45 22 34 56 78 eller 22345678; IBAN DK5000400440116243 = DK50 0040 0440 1162 43"
    )
    assert redaction.text == "Ring ⟦TLF-1⟧ eller ⟦TLF-1⟧; IBAN ⟦IBAN-1⟧ = ⟦IBAN-1⟧"
    assert redaction.mapping == {"⟦TLF-1⟧": "+45 22 34 56 78", "⟦IBAN-1⟧": "DK5000400440116243"}


def test_numbering_is_per_kind_and_per_redactor() -> None:
    redactor = Redactor()
    redaction = redactor.redact("a@aarhus.dk, 22345678, b@aarhus.dk, +45 33 44 55 66, A@aarhus.dk")
    assert redaction.text == "⟦EMAIL-1⟧, ⟦TLF-1⟧, ⟦EMAIL-2⟧, ⟦TLF-2⟧, ⟦EMAIL-1⟧"
    assert Redactor().redact("b@aarhus.dk").text == "⟦EMAIL-1⟧"


def test_text_without_personal_data_is_unchanged() -> None:
    redactor = Redactor()
    text = "Huslejen er 3.500 kr. og mødet er 12-05-2024 i 8000 Aarhus C."
    redaction = redactor.redact(text)
    assert (redaction.text, redaction.mapping, redaction.kinds) == (text, {}, {})
    assert redactor.restore(text) == text


def test_mapping_property_is_a_copy() -> None:
    redactor = Redactor()
    redactor.redact("CPR 010203-1234")
    redactor.mapping.clear()
    assert redactor.restore("⟦CPR-1⟧") == "010203-1234"


@pytest.mark.parametrize(
    ("kinds", "expected"),
    [
        ({"cpr": 2, "email": 1}, "2 CPR-numre og 1 e-mailadresse"),
        ({"cpr": 1}, "1 CPR-nummer"),
        ({"phone": 3}, "3 telefonnumre"),
        ({"email": 1, "phone": 1, "cpr": 1}, "1 CPR-nummer, 1 telefonnummer og 1 e-mailadresse"),
        ({"account": 2, "iban": 1}, "1 IBAN-nummer og 2 kontonumre"),
        ({"cpr": 0, "account": 1}, "1 kontonummer"),
        ({}, "ingen personoplysninger"),
    ],
)
def test_describe(kinds: dict[str, int], expected: str) -> None:
    assert describe(kinds) == expected
