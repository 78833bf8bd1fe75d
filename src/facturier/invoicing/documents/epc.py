"""The EPC QR code (EPC069-12) printed on an invoice: what European banking apps scan to
prefill a SEPA transfer to the firm, of the amount due, quoting the invoice's reference."""

import io
from decimal import Decimal
from typing import Any

import segno
from segno import helpers

from .en16931 import amount_due

NAME_LENGTH = 70  # the payee's name, as EPC069-12 allows it
SMALLEST, LARGEST = Decimal("0.01"), Decimal("999999999.99")


def payable(snapshot: dict[str, Any]) -> bool:
    """Whether the invoice gets a code: an invoice (a credit note is not paid) in euros
    (SEPA transfers are), with the firm's IBAN, a reference and an amount a transfer
    can carry."""
    seller = snapshot["seller"]
    return (
        snapshot.get("kind") != "credit_note"
        and snapshot["currency"] == "EUR"
        and bool(seller.get("iban"))
        and bool(snapshot.get("payment_reference"))
        and SMALLEST <= amount_due(snapshot) <= LARGEST
    )


def epc_code(snapshot: dict[str, Any]) -> segno.QRCode | None:
    """The invoice's EPC QR code, or None when it is not paid by a SEPA transfer."""
    if not payable(snapshot):
        return None
    seller = snapshot["seller"]
    return helpers.make_epc_qr(
        name=seller["name"].strip()[:NAME_LENGTH],
        iban=seller["iban"].replace(" ", "").upper(),
        bic=seller.get("bic", "").replace(" ", "").upper() or None,
        amount=amount_due(snapshot),
        reference=snapshot["payment_reference"],
    )


def epc_svg(snapshot: dict[str, Any]) -> bytes | None:
    """The code as an SVG image (sharp at any print size), or None."""
    code = epc_code(snapshot)
    if code is None:
        return None
    out = io.BytesIO()
    code.save(out, kind="svg", border=4, xmldecl=False)  # its quiet zone
    return out.getvalue()
