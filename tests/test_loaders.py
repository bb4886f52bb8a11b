"""Loaders and chunking on real files of every supported kind, and every kind of bad input."""

from __future__ import annotations

import pytest

from bot.rag.chunking import split
from bot.rag.errors import IngestError
from bot.rag.loaders import OLE_MAGIC, load
from tests.support import documents


def test_pdf_keeps_page_numbers_and_title() -> None:
    data = documents.pdf(
        ["Side et handler om storskrald.", "", "Side tre handler om genbrug."], title="Affald"
    )
    loaded = load("affald.pdf", data)
    assert loaded.kind == "pdf" and loaded.pages == 3 and loaded.title == "Affald"
    assert [(s.page, "storskrald" in s.text or "genbrug" in s.text) for s in loaded.sections] == [
        (1, True),
        (3, True),
    ]
    assert loaded.warnings and "side 2" in loaded.warnings[0]  # the empty page is reported, not hidden


def test_docx_keeps_headings() -> None:
    data = documents.docx(
        [
            ("h1", "Sygefravær"),
            ("p", "Indledning."),
            ("h2", "Sygemelding"),
            ("p", "Meld dig syg før kl. 8."),
            ("p", "Ring til din leder."),
            ("h2", "Sygesamtale"),
            ("p", "Holdes inden fire uger."),
        ]
    )
    loaded = load("syg.docx", data)
    assert [(s.heading, s.text) for s in loaded.sections] == [
        ("Sygefravær", "Indledning."),
        ("Sygefravær › Sygemelding", "Meld dig syg før kl. 8.\n\nRing til din leder."),
        ("Sygefravær › Sygesamtale", "Holdes inden fire uger."),  # a sibling replaces, not nests
    ]


def test_html_main_text_and_title_without_navigation() -> None:
    html = """<!doctype html><html><head><title>Parkering i Aarhus</title><script>var x=1;</script></head>
    <body><nav><a href="/">Forside</a> Menu med mange links</nav><main><h1>Beboerlicens</h1>
    <p>En beboerlicens koster <b>800 kr.</b> om året.</p><ul><li>Søg på aarhus.dk</li></ul>
    <h2>Kontrolafgift</h2><p>Klag inden 6 uger.</p></main><footer>Kontakt os</footer></body></html>"""
    loaded = load("parkering.html", html.encode())
    assert loaded.title == "Parkering i Aarhus"
    text = " ".join(s.text for s in loaded.sections)
    assert "800 kr." in text and "Søg på aarhus.dk" in text
    assert "Menu med mange links" not in text and "Kontakt os" not in text and "var x" not in text
    assert [s.heading for s in loaded.sections] == ["Beboerlicens", "Beboerlicens › Kontrolafgift"]


def test_markdown_sections_ignore_hashes_in_code() -> None:
    md = (
        "# Titel\n\nIntro.\n\n## Afsnit A\n\nTekst A.\n\n```\n# ikke en overskrift\n```\n\n"
        "## Afsnit B\n\nTekst B."
    )
    loaded = load("guide.md", md.encode())
    assert loaded.title == "Titel"
    assert [s.heading for s in loaded.sections] == ["Titel", "Titel › Afsnit A", "Titel › Afsnit B"]
    assert "# ikke en overskrift" in loaded.sections[1].text


def test_the_heading_path_follows_levels_up_and_down() -> None:
    md = (
        "# Pas\n\n## Priser\n\n### Børn\n\n166 kr.\n\n## Bestilling\n\nBestil tid.\n\n"
        "# Kørekort\n\n## Priser\n\nx"
    )
    loaded = load("guide.md", md.encode())
    assert [s.heading for s in loaded.sections] == [
        "Pas › Priser › Børn",
        "Pas › Bestilling",
        "Kørekort › Priser",
    ]


def test_plain_text_in_windows_1252_is_read_with_a_warning() -> None:
    loaded = load("noter.txt", "Kørselsgodtgørelse: 3,79 kr. pr. km.".encode("cp1252"))
    assert "Kørselsgodtgørelse" in loaded.sections[0].text and loaded.warnings


def test_chunking_respects_size_overlap_headings_and_pages() -> None:
    paragraph = "Dette er en sætning om affaldssortering i kommunen. " * 6
    text = "\n\n".join([paragraph] * 8)
    loaded = load("lang.md", f"# Affald\n\n{text}\n\n## Storskrald\n\nHentes hver 14. dag.".encode())
    passages = split(loaded.sections, chunk_size=400, chunk_overlap=60)
    assert all(len(p.text) <= 400 for p in passages)
    assert passages[-1].heading == "Affald › Storskrald" and passages[-1].text == "Hentes hver 14. dag."
    assert all(p.heading == "Affald" for p in passages[:-1])  # no passage spans the heading
    assert [p.ordinal for p in passages] == list(range(len(passages)))
    pdf_passages = split(load("x.pdf", documents.pdf(["a " * 10 + "side1", "side2 " * 5])).sections, 400, 0)
    assert {p.page for p in pdf_passages} == {1, 2}


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("tom.pdf", b"", "empty"),
        ("tom.txt", b"   \n\n ", "empty"),
        ("skannet.pdf", documents.scanned_pdf(), "scanned_pdf"),
        ("beskadiget.pdf", documents.pdf(["Noget tekst"])[:300], "corrupt"),
        ("ikke-en.pdf", b"dette er ikke en pdf", "corrupt"),
        ("laast.pdf", documents.encrypted_pdf("Fortrolig tekst"), "encrypted"),
        ("laast.docx", OLE_MAGIC + b"\x00" * 600, "encrypted"),
        ("beskadiget.docx", b"PK\x03\x04 ikke en rigtig zip", "corrupt"),
        ("program.exe", b"MZ\x90\x00", "unsupported"),
        ("binær.txt", b"abc\x00\x01\x02def", "corrupt"),
        ("tom.docx", documents.docx([]), "no_text"),
    ],
)
def test_bad_input_is_refused_with_a_danish_reason_naming_the_file(
    name: str, data: bytes, reason: str
) -> None:
    with pytest.raises(IngestError) as err:
        load(name, data)
    assert err.value.reason == reason
    message = err.value.message("da")
    assert message.startswith(f"'{name}' blev ikke tilføjet: ")
    assert err.value.message("en").startswith(f"'{name}' was not added: ")


def test_answer_markers_are_settled_against_the_citations() -> None:
    from bot.conversation.types import Citation
    from bot.rag.grounding import settle_markers

    cites = [Citation(n=1, source="a.md", text="x"), Citation(n=2, source="b.pdf", text="y", page=3)]
    assert settle_markers("Svar [1] og [3].", cites) == "Svar [1] og."
    assert (
        settle_markers("Svar uden kilder.", cites) == "Svar uden kilder.\n\nKilder: [1] a.md; [2] b.pdf, s. 3"
    )
    assert settle_markers("Intet [7]", []) == "Intet"


def test_pdf_headings_are_told_by_font_size_and_carry_over_pages() -> None:
    data = documents.pdf_with_headings(
        [
            [
                ("h1", "Hjælpemidler"),
                ("p", "Kommunen låner hjælpemidler ud til borgere med varigt nedsat funktionsevne."),
                ("h2", "Ansøgning"),
                ("p", "Du søger digitalt på aarhus.dk."),
            ],
            [
                ("p", "Svar kommer inden 4 uger."),
                ("h3", "Hastesager"),
                ("p", "Akutte sager behandles inden 2 hverdage."),
                ("h2", "Klage"),
                ("p", "Klag inden 4 uger."),
            ],
        ]
    )
    loaded = load("hjaelpemidler.pdf", data)
    assert [(s.page, s.heading) for s in loaded.sections] == [
        (1, "Hjælpemidler"),
        (1, "Hjælpemidler › Ansøgning"),
        (2, "Hjælpemidler › Ansøgning"),  # the section goes on over the page break
        (2, "Hjælpemidler › Ansøgning › Hastesager"),
        (2, "Hjælpemidler › Klage"),
    ]
    assert loaded.sections[3].text == "Akutte sager behandles inden 2 hverdage."
    assert all("Klage" not in s.text for s in loaded.sections)  # a heading is not body text


def test_a_pdf_in_one_font_size_is_one_section_per_page() -> None:
    loaded = load("brev.pdf", documents.pdf(["Kort brev.", "Side to."]))
    assert [(s.page, s.heading, s.text) for s in loaded.sections] == [
        (1, None, "Kort brev."),
        (2, None, "Side to."),
    ]


PRICES = [
    ["Ydelse", "Pris", "Frist"],
    ["Pas, voksen", "688 kr.", "3 uger"],
    ["Pas, barn", "166 kr.", "3 uger"],
]


def test_docx_tables_stay_in_place_under_their_heading_with_the_header_row() -> None:
    data = documents.docx(
        [
            ("h1", "Borgerservice"),
            ("p", "Priserne gælder fra 1. januar."),
            ("table", PRICES),
            ("h2", "Tider"),
            ("p", "Åbent alle hverdage."),
        ]
    )
    loaded = load("priser.docx", data)
    assert [(s.heading, s.table_header) for s in loaded.sections] == [
        ("Borgerservice", None),
        ("Borgerservice", "Ydelse | Pris | Frist"),
        ("Borgerservice › Tider", None),
    ]
    assert loaded.sections[1].text == "Pas, voksen | 688 kr. | 3 uger\nPas, barn | 166 kr. | 3 uger"


def test_html_and_markdown_tables_keep_rows_whole() -> None:
    html = (
        "<main><h1>Priser</h1><table><tr><th>Ydelse</th><th>Pris</th></tr>"
        "<tr><td>Pas, voksen</td><td><p>688 kr.</p></td></tr><tr><td>Kørekort</td><td>280 kr.</td></tr>"
        "</table><p>Betal med kort.</p></main>"
    )
    md = (
        "# Priser\n\nFra 1. januar.\n\n| Ydelse | Pris |\n|---|--:|\n| Pas, voksen | 688 kr. |\n"
        "| Kørekort | 280 kr. |\n\nBetal med kort."
    )
    for name, data in (("priser.html", html), ("priser.md", md)):
        tables = [s for s in load(name, data.encode()).sections if s.table_header]
        assert [(t.heading, t.table_header, t.text) for t in tables] == [
            ("Priser", "Ydelse | Pris", "Pas, voksen | 688 kr.\nKørekort | 280 kr.")
        ], name


def test_a_long_table_is_split_between_rows_and_every_passage_has_the_header() -> None:
    rows = [["Affaldstype", "Beholder", "Tømning"]] + [
        [f"Fraktion {n}", f"Beholder nummer {n}", f"hver {n % 4 + 1}. uge"] for n in range(40)
    ]
    loaded = load("affald.docx", documents.docx([("h1", "Affald"), ("table", rows)]))
    passages = split(loaded.sections, chunk_size=300, chunk_overlap=50)
    assert len(passages) > 3
    lines = []
    for p in passages:
        assert p.text.startswith("Affaldstype | Beholder | Tømning\n") and len(p.text) <= 300
        lines += p.text.split("\n")[1:]
    assert lines == [" | ".join(r) for r in rows[1:]]  # every row once, none cut


def test_a_list_is_split_between_items() -> None:
    items = "\n".join(f"- Punkt {n}: medbring dokumentation for udgiften nummer {n}." for n in range(30))
    passages = split(load("liste.md", f"# Udlæg\n\n{items}".encode()).sections, 250, 0)
    assert len(passages) > 3
    lines = [line for p in passages for line in p.text.split("\n")]
    assert all(line.startswith("- Punkt") and line.endswith(".") for line in lines)
