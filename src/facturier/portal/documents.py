"""The documents the portal shows and signs, laid out as the firm's letters: a SEPA
mandate to read before accepting it, and the evidence page appended to any document
accepted online. Rendered with a fixed date, so the same content gives the same bytes
(their SHA-256 is what the contact accepted)."""

import io
from typing import Any

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from pypdf import PdfReader, PdfWriter

from facturier.core.identifiers import iban_for_reading
from facturier.invoicing.selectors import default_template
from facturier.receivables.direct_debits import Mandate, Scheme
from facturier.receivables.letters import letter_frame, render_at


def _table(document: dict[str, Any], rows: list[list[str]]) -> None:
    document.update(
        columns=["", ""],
        widths=["auto", "1fr"],
        aligns=["left", "left"],
        rows=rows,
        totals=[],
    )


def mandate_document(mandate: Mandate, *, sepa, language: str) -> dict[str, Any]:
    client, firm = mandate.client, mandate.client.firm
    with translation.override(language):
        document = letter_frame(
            firm,
            client,
            default_template(firm.pk),
            language,
            timezone.localdate(mandate.created_at),
            _("SEPA direct-debit mandate"),
        )
        document["subtitle"] = _("Mandate reference: %(rum)s") % {"rum": mandate.reference}
        creditor = firm.name
        refund = (
            _(
                "As part of your rights, you are entitled to a refund from your bank under the "
                "terms and conditions of your agreement with your bank. A refund must be "
                "claimed within 8 weeks starting from the date on which your account was "
                "debited."
            )
            if mandate.scheme == Scheme.CORE
            else _(
                "This mandate is only intended for business-to-business transactions. You are "
                "not entitled to a refund from your bank after your account has been debited."
            )
        )
        document["intro"] = [
            _(
                "By signing this mandate form, you authorise (A) %(creditor)s to send "
                "instructions to your bank to debit your account and (B) your bank to debit "
                "your account in accordance with the instructions from %(creditor)s."
            )
            % {"creditor": creditor},
            refund,
        ]
        _table(
            document,
            [
                [_("Creditor"), creditor],
                [_("Creditor identifier (ICS)"), getattr(sepa, "creditor_id", "") or "—"],
                [_("Debtor"), mandate.debtor_name],
                [_("IBAN"), iban_for_reading(mandate.iban)],
                [_("BIC"), mandate.bic],
                [
                    _("Type of payment"),
                    _("Recurrent") if mandate.recurrent else _("One-off"),
                ],
                [_("Scheme"), str(Scheme(mandate.scheme).label)],
            ],
        )
        document["outro"] = [firm.name]
    return document


def mandate_pdf(mandate: Mandate, *, sepa, language: str) -> bytes:
    """The mandate as the contact reads it: the same bytes while its content stays."""
    document = mandate_document(mandate, sepa=sepa, language=language)
    return render_at(document, mandate.created_at.timestamp())


def evidence_page(
    *, firm, client, language: str, title: str, evidence: dict[str, str], at
) -> bytes:
    """One page stating how a document was accepted (the facts in `evidence`)."""
    with translation.override(language):
        document = letter_frame(
            firm, client, default_template(firm.pk), language, timezone.localdate(at), title
        )
        labels = {
            "document": _("Document"),
            "sha256": _("SHA-256 of the document shown"),
            "signer_name": _("Name typed"),
            "contact": _("Contact"),
            "accepted_at": _("Accepted on"),
            "ip": _("IP address"),
            "user_agent": _("Browser"),
        }
        document["intro"] = [
            _(
                "The person below read the document on the preceding pages in the client "
                "portal, typed their name and ticked its acceptance."
            )
        ]
        rows = [[str(labels[key]), value] for key, value in evidence.items() if key in labels]
        rows.append(
            [
                str(labels["accepted_at"]),
                formats.date_format(timezone.localtime(at), "DATETIME_FORMAT"),
            ]
        )
        _table(document, rows)
        document["outro"] = [firm.name]
    return render_at(document, at.timestamp())


def append_pages(pdf: bytes, extra: bytes) -> bytes:
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(pdf)))
    writer.append(PdfReader(io.BytesIO(extra)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
