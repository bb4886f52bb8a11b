"""CPR numbers in every way people write them, and the numbers that only look like them.

A missed CPR number is a data breach (it would reach a model not cleared for it); a false one mangles
an amount or a date in a question. Dates must be real: the 7th digit and the year give the century.
"""

from __future__ import annotations

import pytest

from bot.llm.pii import find_pii

CPR_WRITTEN = [
    "010190-1234",
    "0101901234",
    "010190 1234",
    "010190/1234",
    "010190 - 1234",
    "010190 -1234",
    "010190- 1234",
    "010190\u20101234",  # hyphen
    "010190\u20111234",  # non-breaking hyphen
    "010190\u20121234",  # figure dash
    "010190\u20131234",  # en dash
    "010190 \u2013 1234",
    "010190\u20141234",  # em dash
    "010190\u22121234",  # minus sign
    "010190\uff0d1234",  # full-width hyphen
    "010190\u00a01234",  # no-break space
    "02.02.85-4321",
    "02.02.85 4321",
    "02.02.854321",
    "02-02-85-4321",
    "02/02/85-4321",
    "02/02/85 4321",
    "02 02 85 4321",
    "01 01 90 1234",
    "020285 4321",
    "020285/4321",
    "311299-1234",  # 31 Dec 1999
    "290200-4123",  # 29 Feb 2000 (7th digit 4, year 00: 2000, a leap year)
    "290296-1234",  # 29 Feb 1996
    "150607-4567",  # after 2007: no modulus-11 rule
    "010190-5678",  # 7th digit 5 with year 90: 1890
    "CPR-nr.: 0101901234",
    "cpr 010190-1234,",
    "(010190-1234)",
]

NOT_CPR = [
    "01.01.1990",  # a date
    "2024-01-15",  # an ISO date
    "15-01-2024",
    "1. januar 1990",
    "2019 2024",  # two years
    "2019-2024",
    "20 30 40 50",  # a phone number
    "+45 20 30 40 50",
    "12345678",  # a CVR number
    "1.234.567 kr.",  # amounts
    "12.500,00 kr.",
    "1234567890 kr.",
    "320190-1234",  # day 32
    "001090-1234",  # day 0
    "011390-1234",  # month 13
    "010090-1234",  # month 0
    "290221-1234",  # 29 Feb 1921: no leap year
    "310490-1234",  # 31 April
    "0101901234567",  # too long: part of a bigger number
    "10101901234",
    "sag 2024-123456",  # case numbers
    "j.nr. 24/01234",
    "8000 Aarhus C",  # postal code
    "kl. 10:30-12:00",  # times
    "5790000000000",  # an EAN number
    "1234 1234567890",  # reg. no. and account
    "DK5000400440116243",  # an IBAN
    "version 1.2.3.4",
    "tlf. 8940 2000",
    "010190",  # a date without serial
    "ISBN 978-87-02-12345-6",
]


@pytest.mark.parametrize("text", CPR_WRITTEN)
def test_cpr_numbers_are_found_however_written(text: str) -> None:
    sentence = f"Borgeren har {text} og spørger om boligstøtte."
    kinds = [f.kind for f in find_pii(sentence)]
    assert kinds == ["cpr"], (text, find_pii(sentence))


@pytest.mark.parametrize("text", NOT_CPR)
def test_numbers_that_are_not_cpr_are_left_alone(text: str) -> None:
    assert "cpr" not in [f.kind for f in find_pii(f"Se {text} i sagen.")], text


@pytest.mark.parametrize("text", ["2019 2024", "1990 2010", "perioden 2019 2024"])
def test_year_pairs_are_not_phone_numbers(text: str) -> None:
    assert find_pii(text) == []


def test_the_tables_are_big_enough() -> None:
    assert len(CPR_WRITTEN) >= 30 and len(NOT_CPR) >= 30
