"""Clients from a CSV file: checked first, every refused row with its line and why;
then all rows or none."""

import pytest
from django.contrib.auth.models import Permission
from stdnum import luhn

from facturier.clients import imports
from facturier.clients.models import Client
from facturier.core.errors import Invalid, NotAllowed

pytestmark = pytest.mark.django_db


def siren(n: int) -> str:
    base = f"{31000000 + n:08d}"
    return base + luhn.calc_check_digit(base)


@pytest.fixture
def manager(firm, make_user):
    user = make_user("gerard", firm)
    user.user_permissions.add(Permission.objects.get(codename="manage_templates"))
    return type(user).objects.get(pk=user.pk)


def french_file(rows: list[str]) -> bytes:
    header = "Nom;SIREN;TVA;Adresse;Code postal;Ville;Pays;Langue;Délai de paiement;Courriel"
    return ("\n".join([header, *rows]) + "\n").encode("cp1252")


def good_row(n: int) -> str:
    address = f"{n} rue de la Paix;75002;Paris;FR"
    return f"Société Générale d'Études {n};{siren(n)};;{address};français;30;compta{n}@ex.fr"


def test_one_bad_row_among_fifty_is_listed_with_its_line_and_nothing_is_written(manager):
    rows = [good_row(n) for n in range(50)]
    rows[36] = rows[36].replace(siren(36), "732829321")
    data = french_file(rows)
    report = imports.dry_run(manager, data)
    assert (report.rows, report.refused_count) == (50, 1)
    ((line, column, why),) = report.refused
    assert (line, column) == (38, "company_id")  # the header is line 1
    assert "732829321 is not a valid SIREN" in why
    report = imports.import_clients(by=manager, data=data)
    assert report.written == 0 and not Client.objects.filter(name__startswith="Société").exists()


def test_a_clean_file_imports_every_row_in_cp1252_with_its_contact(manager):
    report = imports.import_clients(by=manager, data=french_file([good_row(1), good_row(2)]))
    assert report.ok and report.written == 2
    client = Client.objects.get(name="Société Générale d'Études 1")
    assert client.language == "fr" and client.payment_terms_days == 30
    assert client.billing_contact.email == "compta1@ex.fr"


def test_duplicates_within_the_file_and_against_the_firm_are_refused(manager, make_client, firm):
    make_client(firm, "Déjà là", company_id="732829320")
    data = (
        "\ufeffname,siren,vat\nA,732829320,\nB,552100554,FR96552100554\nC,,FR96552100554\n".encode()
    )
    report = imports.dry_run(manager, data)
    assert report.refused == [
        (2, "company_id", "Same SIREN as Déjà là."),
        (4, "vat_number", "Same VAT number as line 3."),
    ]


def test_unknown_columns_and_rights_are_refused(manager, staff):
    with pytest.raises(Invalid) as refused:
        imports.dry_run(manager, b"name;colour\nA;blue\n")
    assert refused.value.codes == {"file": ["unknown_column"]}
    with pytest.raises(NotAllowed):
        imports.dry_run(staff["owner_processor"], b"name\nA\n")


def test_a_country_is_read_by_its_name_in_french_or_english_or_its_code(manager):
    rows = [
        good_row(1).replace(";FR;", ";France;"),
        good_row(2).replace(";FR;", ";fr;"),
        good_row(3).replace(";FR;", ";Royaume-Uni;"),
        good_row(4).replace(";FR;", ";Germany;"),
    ]
    report = imports.import_clients(by=manager, data=french_file(rows))
    assert report.ok and report.written == 4, report.refused
    countries = Client.objects.order_by("name").values_list("country", flat=True)
    assert list(countries) == ["FR", "FR", "GB", "DE"]
    report = imports.dry_run(manager, french_file([good_row(5).replace(";FR;", ";Atlantide;")]))
    assert [(column, why) for _, column, why in report.refused] == [
        ("country", "Unknown country “Atlantide”: write its code (FR) or its name.")
    ]


def test_the_separator_is_read_from_the_header_not_from_a_long_or_irregular_row(manager):
    """csv.Sniffer gave up on a 10,000-character cell and the file was refused as one
    unknown column "Nom;SIREN;TVA;…": the refusal now names the row and its column."""
    report = imports.dry_run(
        manager, french_file([good_row(1), good_row(2).replace("Société", "N" * 10_000)])
    )
    assert report.refused and {line for line, _column, _why in report.refused} == {3}
    assert {column for _line, column, _why in report.refused} == {"name"}
    assert not Client.objects.exists()


def test_a_file_is_refused_in_the_readers_words(manager):
    """Each refusal of a file names its columns as a person types them, in French for a
    French reader (not the import's internal names), and says what is wrong: an empty
    file, a header with no row under it, a value past the header's columns (refused
    with its line, not dropped)."""
    from django.utils import translation

    def refusal(data: bytes) -> tuple[list[str], list[str]]:
        with pytest.raises(Invalid) as refused:
            imports.dry_run(manager, data)
        return refused.value.errors["file"], refused.value.codes["file"]

    with translation.override("fr"):
        assert refusal(b"") == (["Le fichier est vide."], ["empty"])
        assert refusal(b"Nom;SIREN\n") == (
            ["Le fichier n'a aucun client sous sa ligne d'en-tête."],
            ["no_rows"],
        )
        assert refusal(b"SIREN;Ville\n732829320;Lyon\n") == (
            ["Colonnes manquantes : Nom."],
            ["missing_column"],
        )
        [message], _codes = refusal(b"Nom;Couleur\nA;bleu\n")
        assert message.startswith("Colonnes inconnues : Couleur (connues : Nom, SIREN, TVA,")
        assert "Code postal" in message and "company_id" not in message
        report = imports.dry_run(manager, "Nom;Ville\nDupont;Lyon;Rhône\nMartin;Paris;;\n".encode())
        assert report.refused == [
            (
                2,
                "extra_values",
                "1 valeur de plus que les 2 colonnes de l'en-tête : mettez entre guillemets "
                "une valeur qui contient le séparateur.",
            )
        ]
        assert report.listed[0][1] == "" and report.refused_count == 1
