"""Demo data: a firm, staff with each combination of rights, clients, invoices.

Runs once: on a database that already has a firm it only prints the logins. Made
through the same actions as everything else, so the demo has its audit trail too.
"""

import base64
import datetime
import random
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.utils import timezone
from django_otp.oath import totp
from stdnum import luhn

from facturier.access import actions as access_actions
from facturier.access import oidc
from facturier.clients import actions as client_actions
from facturier.core import money
from facturier.core.actions import unit_of_work
from facturier.einvoicing import actions as einvoicing
from facturier.einvoicing import sandbox
from facturier.engagements import actions as engagement_actions
from facturier.engagements.letter_models import LetterTemplate
from facturier.firms import actions as firm_actions
from facturier.firms.models import Firm, User
from facturier.invoicing import actions
from facturier.receivables import actions as receivables
from facturier.work import actions as work_actions

DEMO_PASSWORD = "facturier-demo"
# Carol signs in with a code too: this key, typed into an authenticator app as printed.
DEMO_TOTP_KEY = "66616374757269657220646f75626c6520617574"
TWO_FACTOR_MEMBER = "carol"
SANDBOX_PORT = 8555  # the local platform's port when none is given (`make run`'s default)
SSO_PORT = 8556  # the local OpenID provider's (scripts/oidc_provider.mjs); 0: none
SSO_CLIENT_ID = "facturier-demo"
SSO_CLIENT_SECRET = "facturier-demo-single-sign-on-secret"  # noqa: S105  (the demo's)


def sandbox_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def local_provider(port: int) -> oidc.Discovery:
    """The local provider's addresses (oidc-provider's routes): the demo is loaded
    before the provider starts, so its discovery document cannot be read yet."""
    issuer = f"http://127.0.0.1:{port}"
    return oidc.Discovery(issuer, f"{issuer}/auth", f"{issuer}/token", f"{issuer}/jwks")


STAFF = [
    # username, name, owns clients, processing permission, what they show
    ("alice", "Alice Martin", True, True, "owner + processing + settings: does everything"),
    ("bob", "Bob Durand", True, False, "owner only: sees his clients' invoices"),
    ("carol", "Carol Petit", False, True, "processing only: sees all, closes and reopens"),
    ("dave", "Dave Moreau", False, False, "neither: sees nothing"),
]

# Company ids of the clients abroad (their registries' numbers); French ones get a SIREN.
FOREIGN_IDS = {"GB": "09876543", "US": "04-3458712", "NO": "923609016"}
FOREIGN_VAT = {"GB": "GB980780684"}
# Where the clients abroad receive e-invoices when no number of theirs says it (DUNS).
FOREIGN_ADDRESSES = {"US": "0060:081466849"}
# EUR for one unit of the currency: stated on each invoice not in euros.
DEMO_RATES = {"GBP": Decimal("1.171500"), "USD": Decimal("0.918400")}


def demo_siren(index: int) -> str:
    """A SIREN with a right check digit (Luhn), distinct per client."""
    base = f"{80000000 + index * 123457:08d}"
    return base + luhn.calc_check_digit(base)


def french_vat(siren: str) -> str:
    """The French VAT number of a SIREN: FR, a two-digit key, the SIREN."""
    return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"


CLIENTS = [
    ("Boulangerie Lefèvre SARL", "fr", "12 rue des Lilas", "75011", "Paris", "FR", "EUR"),
    ("Garage Besson & Fils", "fr", "4 avenue Jean Jaurès", "69007", "Lyon", "FR", "EUR"),
    ("Société Hôtelière du Lac", "fr", "1 quai du Mont-Blanc", "74000", "Annecy", "FR", "EUR"),
    ("Pharmacie Côté Sud", "fr", "27 boulevard Longchamp", "13001", "Marseille", "FR", "EUR"),
    ("Éditions Günther", "fr", "8 place Kléber", "67000", "Strasbourg", "FR", "EUR"),
    ("Atelier Noël Architectes", "fr", "15 rue Sainte-Catherine", "33000", "Bordeaux", "FR", "EUR"),
    ("Northwind Consulting Ltd", "en", "221 Baker Street", "NW1 6XE", "London", "GB", "GBP"),
    ("Harbor Freight Logistics LLC", "en", "500 Pier Avenue", "02110", "Boston", "US", "USD"),
    ("Blue Fjord Software AS", "en", "Karl Johans gate 12", "0154", "Oslo", "NO", "EUR"),
    ("Dubois Immobilier SCI", "fr", "3 allée des Tilleuls", "44000", "Nantes", "FR", "EUR"),
]

SERVICES = {
    "fr": [
        ("Tenue comptable mensuelle", Decimal("450.00"), Decimal("1")),
        ("Déclaration de TVA", Decimal("120.00"), Decimal("1")),
        ("Établissement des comptes annuels", Decimal("1850.00"), Decimal("1")),
        ("Conseil fiscal (heures)", Decimal("135.00"), Decimal("2.5")),
        ("Bulletins de paie", Decimal("28.50"), Decimal("12")),
        ("Secrétariat juridique — approbation des comptes", Decimal("690.00"), Decimal("1")),
        ("Frais de déplacement", Decimal("0.62"), Decimal("148")),
    ],
    "en": [
        ("Monthly bookkeeping", Decimal("450.00"), Decimal("1")),
        ("VAT return", Decimal("120.00"), Decimal("1")),
        ("Year-end accounts", Decimal("1850.00"), Decimal("1")),
        ("Tax advisory (hours)", Decimal("135.00"), Decimal("3.25")),
        ("Payroll slips", Decimal("28.50"), Decimal("8")),
        ("Company secretarial services", Decimal("690.00"), Decimal("1")),
    ],
}


class Command(BaseCommand):
    help = "Load demo data (a firm, staff, clients, 60 invoices) into an empty database."

    def add_arguments(self, parser):
        parser.add_argument(
            "--sandbox-port",
            type=int,
            default=SANDBOX_PORT,
            help="the port of the local e-invoicing platform the demo firm deposits with",
        )
        parser.add_argument(
            "--sso-port",
            type=int,
            default=SSO_PORT,
            help="the port of the local OpenID provider the demo firm signs in with (0: none)",
        )

    def handle(self, *args, sandbox_port=SANDBOX_PORT, sso_port=SSO_PORT, **options):
        self.sandbox_url = sandbox_url(sandbox_port)
        self.sso_port = sso_port
        if Firm.objects.exists():
            self.stdout.write("Demo data: the database already has data; nothing loaded.")
            self._point_at_sandbox()
            self._point_at_provider()
        else:
            with unit_of_work():  # all of it, or nothing
                self._load()
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self._print_logins()

    def _print_logins(self):
        if not User.objects.filter(username="alice").exists():
            return
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        self.stdout.write("  admin   superuser, for /admin/")
        for username, _name, _owner, _processing, role in STAFF:
            self.stdout.write(f"  {username:<7} {role}")
        self.stdout.write("  erin    another firm's staff: never sees the demo firm")
        member = User.objects.filter(username=TWO_FACTOR_MEMBER).first()
        device = member and access_actions.totp_device(member)
        if device is not None:
            secret = base64.b32encode(bytes.fromhex(device.key)).decode()
            self.stdout.write(
                f"  {TWO_FACTOR_MEMBER} also types a code: add the key {secret} "
                "to an authenticator app (TOTP, 6 digits, 30 s)"
            )
        sso = access_actions.single_sign_on(member.firm_id if member else None)
        if sso is not None and sso.issuer.startswith("http://127.0.0.1:"):
            self.stdout.write(
                "  single sign-on: any member, with their address (alice@example.com...), "
                f"through the local provider at {sso.issuer} (any password there)"
            )

    def _single_sign_on(self, firm, alice):
        """The demo firm signs in with the local provider `make run` starts."""
        if not self.sso_port:
            return
        found = local_provider(self.sso_port)
        access_actions.save_single_sign_on(
            firm,
            by=alice,
            fields={
                "issuer": found.issuer,
                "client_id": SSO_CLIENT_ID,
                "client_secret": SSO_CLIENT_SECRET,
            },
            discover=lambda issuer: found,
        )

    def _point_at_provider(self):
        """The demo firm signs in with this start's local provider (a firm set up with a
        real provider is left alone)."""
        alice = User.objects.filter(username="alice").select_related("firm").first()
        sso = access_actions.single_sign_on(alice.firm_id) if alice else None
        if not self.sso_port or sso is None or not sso.issuer.startswith("http://127.0.0.1:"):
            return
        if sso.issuer != local_provider(self.sso_port).issuer:
            self._single_sign_on(alice.firm, alice)

    def _point_at_sandbox(self):
        """The demo firm deposits with this start's local platform, not an earlier one's
        (a firm set up with a real platform is left alone)."""
        alice = User.objects.filter(username="alice").select_related("firm").first()
        platform = getattr(alice and alice.firm, "platform", None) if alice else None
        if platform is None or not platform.base_url.startswith("http://127.0.0.1:"):
            return
        if platform.base_url != self.sandbox_url:
            einvoicing.save_platform(
                alice.firm,
                by=alice,
                fields={
                    "base_url": self.sandbox_url,
                    "token_url": f"{self.sandbox_url}/oauth/token",
                },
            )

    def _load(self):
        rng = random.Random(1054)
        processors = firm_actions.create_role(
            name="Invoice processors",
            permissions=["invoicing.process_invoices", "work.process_all_entries"],
        )
        timekeepers = firm_actions.create_role(
            name="Timekeepers", permissions=["work.process_own_entries"]
        )
        administrators = firm_actions.create_role(
            name="Invoicing administrators", permissions=["invoicing.manage_templates"]
        )
        firm = self._firm()
        self._staff("admin", "Admin Istrateur", firm, is_staff=True, is_superuser=True)
        staff = {}
        for username, full_name, _owner, processing, _role in STAFF:
            roles = [timekeepers, processors] if processing else [timekeepers]
            if username == "alice":  # she also manages templates, numbering and clients
                roles.append(administrators)
            staff[username] = self._staff(username, full_name, firm, roles=roles)
        alice = staff["alice"]
        standard = self._settings(firm, alice)
        clients = self._clients(alice, staff["bob"])
        drafts = self._drafts(rng, alice, clients)
        self._finalize(rng, drafts, alice=alice, carol=staff["carol"], template=standard)
        self._work(rng, alice, [staff[name] for name in ("alice", "bob", "carol")], clients)
        self._engagement(alice, clients[0])
        carol = staff[TWO_FACTOR_MEMBER]
        code = f"{totp(bytes.fromhex(DEMO_TOTP_KEY)):06d}"
        access_actions.enable_totp(by=carol, key=DEMO_TOTP_KEY, code=code)
        self._rival_firm(roles=[processors, administrators])

    def _engagement(self, alice, client):
        """An engagement with a monthly fixed fee, revised each 1 January: its first
        periods are due, for the run to bill."""
        start = timezone.localdate().replace(month=1, day=1)
        engagement = engagement_actions.create_engagement(
            client,
            by=alice,
            fields={
                "reference": f"LM-{start.year}-001",
                "start_date": start,
                "tacit_renewal": True,
                "indexation": "percent",
                "indexation_percent": Decimal("2.5"),
                "revision_month": 1,
                "revision_day": 1,
            },
            missions=[
                {
                    "name": "Tenue comptable",
                    "fee_kind": "both",
                    "annual_fee": Decimal("3600"),
                    "frequency": "monthly",
                    "timing": "advance",
                    "billing_day": 5,
                }
            ],
        )
        # Its letter, made from the firm's French template, waits to be sent.
        template = LetterTemplate.objects.filter(firm_id=client.firm_id, language="fr").first()
        if template is not None:
            engagement_actions.create_letter(engagement, by=alice, template=template)

    def _firm(self) -> Firm:
        return firm_actions.create_firm(
            name="Cabinet Martin & Associés",
            legal_form="SAS au capital de 50 000 €",
            address_line1="42 rue de la Chaussée-d'Antin",
            postal_code="75009",
            city="Paris",
            siren="732829320",
            vat_number="FR44732829320",
            registration="RCS Paris",
            iban="FR7630006000011234567890189",
            bic="AGRIFRPP",
            email_from="facturation@cabinet-martin.example",
            late_payment_penalty_rate=Decimal("12.15"),
            recovery_indemnity=Decimal("40.00"),
        )

    def _settings(self, firm, alice):
        """The platform, numbering, reminder levels and templates; returns the standard
        template."""
        # The local platform `make run` starts (manage.py platform_sandbox): the demo's
        # invoices to businesses are deposited with it and their statuses move.
        einvoicing.save_platform(
            firm,
            by=alice,
            fields={
                "base_url": self.sandbox_url,
                "token_url": f"{self.sandbox_url}/oauth/token",
                "client_id": sandbox.CLIENT_ID,
                "client_secret": sandbox.CLIENT_SECRET,
            },
        )
        actions.update_numbering(
            by=alice,
            fields={"prefix": "", "padding_char": "0", "padding_length": 7, "next_number": 1054},
        )
        # Three reminder levels: the worker's first pass reminds the overdue invoices.
        receivables.save_levels(firm, by=alice, levels=receivables.default_levels())
        # The creditor identifier every mandate names (a test ICS: ZZZ for no business
        # code); collected on the firm's own account.
        receivables.save_sepa_settings(
            firm.pk,
            by=alice,
            fields={"creditor_id": "FR72ZZZ123456", "iban": firm.iban, "bic": firm.bic},
        )
        self._single_sign_on(firm, alice)
        standard = actions.save_template(by=alice, fields={"name": "Standard"})
        actions.save_template(
            by=alice,
            fields={"name": "Sobre", "accent_color": "#333333", "show_bank_details": False},
        )
        return standard

    def _clients(self, alice, bob):
        clients = []
        for index, (name, lang, street, postal, city, country, currency) in enumerate(CLIENTS):
            french = country == "FR"
            clients.append(
                client_actions.create_client(
                    by=alice,
                    # Alice owns every client; Bob the last five.
                    owners=[alice, bob] if index >= 5 else [alice],
                    contacts=[
                        {
                            "name": "Comptabilité" if lang == "fr" else "Accounts payable",
                            "email": f"factures@client{index + 1}.example",
                            "is_billing": True,
                        },
                        {"name": "Direction", "email": f"direction@client{index + 1}.example"},
                    ],
                    name=name,
                    language=lang,
                    address_line1=street,
                    postal_code=postal,
                    city=city,
                    country=country,
                    currency=currency,
                    company_id=demo_siren(index) if french else FOREIGN_IDS[country],
                    vat_number=french_vat(demo_siren(index))
                    if french
                    else FOREIGN_VAT.get(country, ""),
                    einvoice_address=FOREIGN_ADDRESSES.get(country, ""),
                )
            )
        return clients

    def _drafts(self, rng, alice, clients):
        """Sixty drafts, three days apart over the last six months."""
        start = timezone.now() - datetime.timedelta(days=180)
        drafts = []
        for index in range(60):
            client = clients[index % len(clients)]
            rate = Decimal("20") if client.country == "FR" else Decimal("0")
            services = rng.sample(SERVICES[client.language], rng.randint(1, 4))
            lines = [
                {
                    "description": description,
                    "quantity": quantity,
                    "unit_price": price,
                    "vat_rate": rate,
                }
                for description, price, quantity in services
            ]
            when = start + datetime.timedelta(days=index * 3, hours=rng.randint(0, 8))
            # The month the work was done in: the service period the invoice states.
            period_end = when.date().replace(day=1) - datetime.timedelta(days=1)
            invoice = actions.create_draft(
                by=alice,
                client=client,
                lines=lines,
                issue_date=when.date(),
                now=when,
                notes="Merci de votre confiance." if client.language == "fr" else "",
                period_start=period_end.replace(day=1),
                period_end=period_end,
                purchase_order=f"PO-{4500 + index}" if index % 4 == 0 else "",
                exchange_rate=DEMO_RATES.get(client.currency),
            )
            drafts.append((invoice, when))
        return drafts

    def _finalize(self, rng, drafts, *, alice, carol, template):
        """40 finalized in date order (numbers follow dates), 20 drafts. Of the finalized:
        12 paid in full (closed by the system), 3 closed by hand, 5 partly paid, one
        partly credited, and the rest unpaid (most of them overdue by now)."""
        for index, (invoice, when) in enumerate(drafts[:40]):
            invoice = actions.finalize_invoice(
                invoice, by=alice, template=template, now=when + datetime.timedelta(hours=1)
            )
            if index < 12 or 15 <= index < 20:
                paid_at = when + datetime.timedelta(days=25)
                share = invoice.total_gross if index < 12 else (invoice.total_gross / 2)
                receivables.record_payment(
                    by=carol,
                    client=invoice.client_id,
                    amount=money.quantize(share, invoice.currency),
                    received_on=paid_at.date(),
                    method=rng.choice(["transfer", "transfer", "cheque", "card"]),
                    reference=f"VIR {invoice.number}" if index % 2 else "",
                    allocations=[{"invoice": invoice.pk}],
                    now=paid_at,
                )
            elif index < 15:
                actions.close_invoice(invoice, by=carol, now=when + datetime.timedelta(days=30))
            elif index == 22:
                self._gesture(invoice, alice, when + datetime.timedelta(days=5))

    def _gesture(self, invoice, alice, when):
        """A 10 % commercial gesture on the invoice's first line: a credit note."""
        line = invoice.lines.order_by("position", "id").first()
        credit_note = actions.create_credit_note(
            invoice,
            by=alice,
            amounts=[
                {
                    "vat_rate": line.vat_rate,
                    "amount": money.quantize(line.net_amount / 10, invoice.currency),
                }
            ],
            now=when,
        )
        actions.finalize_invoice(credit_note, by=alice, now=when + datetime.timedelta(hours=1))

    def _rival_firm(self, roles):
        """Another firm, whose staff never sees the demo firm."""
        other = firm_actions.create_firm(
            name="Fiduciaire Rivale",
            city="Lille",
            postal_code="59000",
            address_line1="1 Grand Place",
        )
        erin = self._staff("erin", "Erin Leroy", other, roles=roles)
        rival_client = client_actions.create_client(
            by=erin,
            name="Client de la Rivale",
            address_line1="2 rue Nationale",
            postal_code="59000",
            city="Lille",
        )
        for _ in range(3):
            actions.create_draft(
                by=erin,
                client=rival_client,
                lines=[
                    {
                        "description": "Mission d'audit",
                        "quantity": 1,
                        "unit_price": "3000",
                        "vat_rate": "20",
                    }
                ],
            )

    def _work(self, rng, alice, people, clients):
        """Work codes, rates and four months of time and expenses: the WIP tab's."""
        codes = work_actions.import_work_codes(
            by=alice,
            data=(
                "Code,Type,Name,Rate,Surcharge\n"
                "COMPTA,B,Tenue comptable,95,0\n"
                "FISC,B,Conseil fiscal,140,0\n"
                "JUR,B,Secrétariat juridique,110,0\n"
                "ADM,NB,Administration interne,,0\n"
            ).encode(),
        )
        work_actions.save_work_code(
            by=alice,
            fields={"code": "DEP", "name": "Débours", "kind": "expense", "surcharge_percent": 0},
        )
        today = timezone.localdate()
        for index, person in enumerate(people):
            work_actions.set_rate(
                by=alice,
                staff=person,
                rate=Decimal(110 + 15 * index),
                effective_from=today - datetime.timedelta(days=400),
            )
        rows = []
        for _ in range(160):
            person = rng.choice(people)
            client = rng.choice(clients[:7])
            code = rng.choice(codes)
            rows.append(
                {
                    "staff": person.pk,
                    "client": client.pk,
                    "work_code": code.code,
                    "day": today - datetime.timedelta(days=rng.randint(0, 120)),
                    "hours": str(Decimal(rng.randint(1, 16)) / 4),
                    "description": code.name,
                }
            )
        for _ in range(12):
            rows.append(
                {
                    "staff": alice.pk,
                    "client": rng.choice(clients[:7]).pk,
                    "work_code": "DEP",
                    "day": today - datetime.timedelta(days=rng.randint(0, 90)),
                    "amount": str(Decimal(rng.randint(1500, 9000)) / 100),
                    "vat_rate": "20",
                    "description": "Déplacement",
                }
            )
        work_actions.record_entries(rows, by=alice)

    def _staff(self, username, full_name, firm, *, roles=(), **extra):
        first, last = full_name.split(" ", 1)
        return firm_actions.create_staff_member(
            firm=firm,
            username=username,
            password=DEMO_PASSWORD,
            roles=list(roles),
            first_name=first,
            last_name=last,
            email=f"{username}@example.com",
            **extra,
        )
