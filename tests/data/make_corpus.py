"""Writes the PDF and Word documents of the Danish test corpus (``tests/data/corpus``) from the text
below, so the binary files can be reviewed as text and rebuilt: ``python tests/data/make_corpus.py``.

The PDFs are laid out as a word processor exports them: headings only in larger bold type (no outline),
so the loader must tell them by font size. The Word files use the Title/Heading styles and hold tables.
PDF core fonts are Latin-1: no en dashes or typographic quotes in the PDF texts.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.support.documents import docx, pdf_with_headings  # noqa: E402

CORPUS = Path(__file__).parent / "corpus"

HJAELPEMIDLER = [
    [
        ("h1", "Hjælpemidler og boligindretning"),
        (
            "p",
            "Denne vejledning beskriver, hvordan Aarhus Kommune bevilger hjælpemidler, forbrugsgoder og "
            "boligindretning efter serviceloven. Den bruges af terapeuterne i Center for Hjælpemidler og "
            "af sagsbehandlerne i Sundhed og Omsorg.",
        ),
        ("h2", "Hvem kan få et hjælpemiddel"),
        (
            "p",
            "Du kan få et hjælpemiddel, hvis du har en varigt nedsat fysisk eller psykisk funktionsevne, "
            "og hjælpemidlet i væsentlig grad kan afhjælpe følgerne af den. Varig betyder, at der ikke "
            "inden for overskuelig tid er udsigt til bedring. Har du kun brug for et hjælpemiddel i kort "
            "tid, fx efter en operation, skal du låne det i et af kommunens hjælpemiddeldepoter, som "
            "udlåner midlertidige hjælpemidler i op til 6 måneder.",
        ),
        ("h2", "Ansøgning"),
        (
            "p",
            "Du søger om hjælpemidler digitalt via selvbetjeningen på aarhus.dk/hjaelpemidler med "
            "MitID. Kan du ikke søge digitalt, kan du ringe til Center for Hjælpemidler på 8713 4000 "
            "alle hverdage kl. 8-12. Du skal søge, inden du køber hjælpemidlet: kommunen giver ikke "
            "tilskud til et hjælpemiddel, der er købt, før ansøgningen er bevilget.",
        ),
        (
            "p",
            "En terapeut vurderer din ansøgning og kommer eventuelt på et hjemmebesøg. Du får en "
            "skriftlig afgørelse. Sagsbehandlingstiden er højst 8 uger for hjælpemidler og højst 12 "
            "uger for boligindretning.",
        ),
    ],
    [
        ("h3", "Hastesager"),
        (
            "p",
            "Udskrives du fra hospitalet og har brug for en plejeseng eller en badetaburet for at kunne "
            "klare dig hjemme, behandles ansøgningen som en hastesag. Hjælpemidlet leveres da inden for "
            "2 hverdage efter udskrivningen.",
        ),
        ("h2", "Forbrugsgoder"),
        (
            "p",
            "Forbrugsgoder er produkter, der sælges i almindelig handel, fx en elkedel med vippefunktion "
            "eller en arbejdsstol. Kommunen giver tilskud på 50 procent af prisen på et standardprodukt. "
            "Der gives ikke tilskud til forbrugsgoder, der koster under 500 kr.",
        ),
        ("h2", "Boligindretning"),
        (
            "p",
            "Kommunen kan give hjælp til at indrette din bolig, fx at fjerne dørtrin, sætte greb op "
            "eller lave en rampe. Der gives kun hjælp til indretning af din faste bolig. Bor du til leje, "
            "skal udlejeren give skriftligt samtykke, før arbejdet går i gang.",
        ),
        ("h2", "Reparation og aflevering"),
        (
            "p",
            "Hjælpemidler, du har fået bevilget som udlån, ejes af kommunen. Går en kørestol eller en "
            "rollator i stykker, skal du kontakte reparationsværkstedet på 8713 4010, som reparerer "
            "gratis. Har du ikke længere brug for hjælpemidlet, skal det afleveres på depotet i "
            "Viby, Skanderborgvej 277, eller hentes af kommunen mod bestilling.",
        ),
        ("h2", "Klage"),
        (
            "p",
            "Er du uenig i afgørelsen, kan du klage inden 4 uger. Klagen sendes til Center for "
            "Hjælpemidler, som genvurderer sagen. Fastholder kommunen afgørelsen, sendes klagen videre "
            "til Ankestyrelsen.",
        ),
    ],
]

VINTER = [
    [
        ("h1", "Vintertjeneste: snerydning og glatførebekæmpelse"),
        (
            "p",
            "Aarhus Kommune rydder sne og spreder salt på de kommunale veje, cykelstier og fortove ved "
            "offentlige bygninger. Vintertjenesten løber fra 1. november til 31. marts, og Vejdrift har "
            "vagt døgnet rundt i hele perioden.",
        ),
        ("h2", "Prioritering af veje"),
        (
            "p",
            "Vejene er delt i tre klasser. Klasse 1 er hovedveje, busruter og de vigtigste cykelstier; "
            "de ryddes først og skal være farbare kl. 6 om morgenen. Klasse 2 er fordelingsveje, som "
            "ryddes inden kl. 10. Klasse 3 er boligveje og villaveje, som først ryddes, når klasse 1 og "
            "2 er klaret, normalt inden for 2 døgn efter et snefald.",
        ),
        ("h2", "Grundejeres pligter"),
        (
            "p",
            "Ejer du en ejendom ud til en offentlig vej, skal du rydde sne og gruse på fortovet ud for "
            "din grund. Fortovet skal være ryddet og gruset senest kl. 7 på hverdage og kl. 8 på lør-, "
            "søn- og helligdage. Sneen må ikke skubbes ud på kørebanen eller cykelstien, men skal lægges "
            "på fortovets yderste kant.",
        ),
        (
            "p",
            "Overholder du ikke pligten, kan kommunen lade arbejdet udføre for din regning, og du kan "
            "blive erstatningsansvarlig, hvis en fodgænger falder på dit fortov.",
        ),
    ],
    [
        ("h2", "Grus og salt"),
        (
            "p",
            "Grundejere kan gratis hente op til 2 spande grus pr. gang på kommunens materielgårde i "
            "Lisbjerg og Viby. Brug helst grus eller sand frem for salt ved træer og bede, da salt skader "
            "beplantningen.",
        ),
        ("h2", "Private fællesveje"),
        (
            "p",
            "På private fællesveje er det grundejerne langs vejen, der skal rydde sne på både kørebane "
            "og fortov. Kommunen rydder ikke private fællesveje, heller ikke mod betaling.",
        ),
        ("h2", "Affald og hjemmepleje i snevejr"),
        (
            "p",
            "Skraldebilen kan ikke tømme beholdere, hvis adgangsvejen ikke er ryddet for sne. Den "
            "tømmes da ved næste planlagte tømning. Hjemmeplejen prioriterer borgere, der får hjælp til "
            "medicin og mad, når der er meget sne.",
        ),
        ("h2", "Meld glat vej"),
        (
            "p",
            "Ser du en glat cykelsti eller en vej, der ikke er ryddet, kan du melde det i appen Giv et "
            "praj eller ringe til Vejdrifts vintervagt på 8940 2600. Vintervagten kan kontaktes døgnet "
            "rundt i vintertjenestens periode.",
        ),
    ],
]

FERIE = [
    ("title", "Ferie, fridage og særlige fraværsdage for ansatte"),
    (
        "p",
        "Denne vejledning gælder for alle ansatte i Aarhus Kommune, som er omfattet af ferieloven og "
        "ferieaftalen for det offentlige. Lederen godkender ferie og fridage i Medarbejderportalen.",
    ),
    ("h1", "Optjening og afholdelse af ferie"),
    (
        "p",
        "Du optjener 2,08 feriedage for hver måned, du er ansat, i alt 25 feriedage om året. Ferien "
        "optjenes og afholdes samtidigt, og ferieåret løber fra 1. september til 31. august. Du kan "
        "afholde ferie fra 1. september til 31. december det følgende år.",
    ),
    (
        "p",
        "Hovedferien på mindst 3 uger i sammenhæng holdes i perioden 1. maj til 30. september. Ønsker "
        "til hovedferien skal være afleveret til lederen senest 1. marts.",
    ),
    ("h1", "Særlige feriedage og omsorgsdage"),
    (
        "p",
        "Ud over ferien har du 5 særlige feriedage om året. De optjenes i ferieåret og skal varsles "
        "med 1 måneds varsel. Særlige feriedage, som ikke er holdt ved ferieårets udløb, udbetales "
        "automatisk.",
    ),
    (
        "p",
        "Har du børn under 7 år, har du ret til 2 omsorgsdage om året pr. barn med løn. Omsorgsdage "
        "skal holdes inden udgangen af det kalenderår, hvor barnet fylder 7 år, og de kan ikke "
        "overføres eller udbetales.",
    ),
    ("h1", "Fri med løn"),
    ("p", "Du har fri med løn i disse situationer. Tabellen viser, hvor meget fri der gives:"),
    (
        "table",
        [
            ["Anledning", "Fri med løn", "Bemærkning"],
            ["Barns første sygedag", "1 dag", "Også barnets anden sygedag"],
            ["Eget bryllup", "1 dag", "Også ved registreret partnerskab"],
            ["Nærtståendes begravelse", "1 dag", "Ægtefælle, børn, forældre og søskende"],
            ["Flytning", "Ingen", "Brug ferie eller afspadsering"],
            ["Bloddonation", "Den nødvendige tid", "Aftales med lederen"],
            ["25 års jubilæum", "1 dag", "Samt en gratiale på 3.000 kr."],
        ],
    ),
    ("h1", "Syg under ferien"),
    (
        "p",
        "Bliver du syg, før ferien begynder, skal du ikke holde ferie, men du skal melde dig syg til "
        "lederen senest ved arbejdstids begyndelse den første feriedag. Bliver du syg under ferien, "
        "har du ret til erstatningsferie efter 5 sygedage, hvis du har lægeerklæring. Lægeerklæringen "
        "betaler du selv.",
    ),
    ("h1", "Overførsel af ferie"),
    (
        "p",
        "Du kan aftale med lederen at overføre den del af ferien, der overstiger 4 uger, til næste "
        "ferieår. Aftalen skal være skriftlig og indgået senest 31. december efter ferieårets udløb.",
    ),
]

INDKOEB = [
    ("title", "Indkøb og fakturaer"),
    (
        "p",
        "Vejledningen beskriver, hvordan du køber ind til din arbejdsplads i Aarhus Kommune, og hvordan "
        "fakturaer behandles. Kommunen har indkøbsaftaler på de fleste varer, og du skal altid handle "
        "inden for en aftale, når der findes en.",
    ),
    ("h1", "Indkøbsaftaler og e-handel"),
    (
        "p",
        "Varer som kontorartikler, rengøringsmidler, fødevarer og it-udstyr skal købes i "
        "e-handelssystemet Indkøbsportalen, hvor kommunens aftaler ligger. Kun medarbejdere med en "
        "indkøberrolle kan bestille. Rollen tildeles af lederen i Medarbejderportalen.",
    ),
    (
        "p",
        "Findes der ingen aftale på varen, skal du indhente mindst 2 tilbud, hvis købet overstiger "
        "50.000 kr. Kontakt Center for Indkøb på indkoeb@aarhus.dk, hvis du er i tvivl om, hvorvidt en "
        "aftale dækker.",
    ),
    ("h1", "Beløbsgrænser for udbud"),
    ("p", "Jo større et køb er, jo flere skal have mulighed for at byde. Grænserne er ekskl. moms:"),
    (
        "table",
        [
            ["Købets værdi", "Krav", "Hvem står for det"],
            ["Under 50.000 kr.", "Frit køb inden for aftalerne", "Arbejdspladsen"],
            ["50.000-500.000 kr.", "Mindst 2 skriftlige tilbud", "Arbejdspladsen"],
            ["500.000 kr. til EU-tærskelværdien", "Annoncering på udbud.dk", "Center for Indkøb"],
            ["Over EU-tærskelværdien (ca. 1,6 mio. kr.)", "EU-udbud", "Center for Indkøb"],
        ],
    ),
    ("h1", "Indkøbskort"),
    (
        "p",
        "Til små køb, hvor der ikke er en aftale, kan lederen bestille et indkøbskort. Kortet har en "
        "beløbsgrænse på 10.000 kr. pr. måned, og der må højst købes for 2.000 kr. pr. køb. Alle køb "
        "skal dokumenteres med en kvittering i Rejsekassen senest 10 dage efter købet.",
    ),
    ("h1", "Fakturaer"),
    (
        "p",
        "Kommunen modtager kun elektroniske fakturaer via NemHandel med EAN-nummer. En papirfaktura "
        "sendes retur til leverandøren. Fakturaen skal godkendes af en person med "
        "godkendelsesrettigheder, og den, der har bestilt varen, må ikke selv godkende fakturaen.",
    ),
    (
        "p",
        "Fakturaer betales 30 dage efter modtagelsen. Ønsker en leverandør betaling tidligere, skal det "
        "være aftalt i kontrakten. Rykkere fra leverandører sendes til Fællesbogholderiet på 8940 1100.",
    ),
    ("h1", "Gaver og repræsentation"),
    (
        "p",
        "Du må ikke modtage gaver fra leverandører, bortset fra små gaver af ubetydelig værdi, fx en "
        "kuglepen eller en kalender. Gaver til kolleger i anledning af runde fødselsdage må højst koste "
        "500 kr. pr. gave af kommunens midler.",
    ),
]


def main() -> None:
    (CORPUS / "hjaelpemidler.pdf").write_bytes(
        pdf_with_headings(HJAELPEMIDLER, title="Hjælpemidler og boligindretning")
    )
    (CORPUS / "vintertjeneste.pdf").write_bytes(pdf_with_headings(VINTER, title="Vintertjeneste"))
    (CORPUS / "ferie-og-fridage.docx").write_bytes(docx(FERIE, title="Ferie og fridage"))
    (CORPUS / "indkoeb-og-fakturaer.docx").write_bytes(docx(INDKOEB, title="Indkøb og fakturaer"))


if __name__ == "__main__":
    main()
