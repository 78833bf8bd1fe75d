"""13. SEPA direct debit: a pain.008 batch of 10,000 debits built and validated against
its ISO 20022 schema by sepaxml (001.02 and 001.08); a camt.053 holding the batch's
credit (one entry, a TxDtls per debit) and 200 returns read and matched to the exported
debits: every line accounted for (settling a debit, returning one, or left for a
person). Matching reads only; recording the 10,000 payments is bench.payments' figure.

    python -m bench.sepa [--debits 10000] [--returns 200]
"""

import argparse
import datetime
import time
from decimal import Decimal

from bench.common import OUT, figure, machine, setup_django

DAY = datetime.date(2027, 1, 15)


def collections(ids: list[int]):
    from facturier.receivables import pain008

    return [
        pain008.Collection(
            end_to_end_id=f"DD{pk}",
            debtor_name=f"Client {pk} SARL",
            iban="FR7630006000011234567890189",
            bic="AGRIFRPP",
            amount=Decimal("120.00") + pk % 7,
            collection_date=DAY,
            mandate_reference=f"RUM-{pk}",
            mandate_signed_on=datetime.date(2026, 1, 1),
            sequence="RCUR",
            description=f"{pk:07d}",
        )
        for pk in ids
    ]


def creditor(schema: str):
    from facturier.receivables import pain008

    return pain008.Creditor(
        name="Bench & Associés",
        creditor_id="FR72ZZZ123456",
        iban="FR1420041010050500013M02606",
        bic="PSSTFRPPPAR",
        scheme="CORE",
        schema=schema,
    )


def populate(count: int):
    """`count` invoices of as many clients, each with an active mandate and a debit sent
    to the bank in one batch; returns (firm id, the batch, the debits)."""
    from bench.common import bench_firm
    from facturier.invoicing.models import Invoice
    from facturier.receivables import pain008
    from facturier.receivables.models import Debit, DebitBatch, Mandate

    firm, _user, clients = bench_firm(count)
    now = datetime.datetime.now(datetime.UTC)
    Invoice.objects.bulk_create(
        [
            Invoice(
                firm=firm,
                client_id=client,
                status="finalized",
                number=f"{i + 1:07d}",
                issue_date=datetime.date(2026, 12, 1),
                due_date=DAY,
                payment_terms_days=45,
                currency="EUR",
                total_net=100,
                total_vat=20,
                total_gross=Decimal("120.00") + i % 7,
                balance=Decimal("120.00") + i % 7,
            )
            for i, client in enumerate(clients)
        ],
        batch_size=5000,
    )
    Mandate.objects.bulk_create(
        [
            Mandate(
                firm=firm,
                client_id=client,
                reference=f"RUM-{client}",
                debtor_name="Client SARL",
                iban="FR7630006000011234567890189",
                bic="AGRIFRPP",
                signed_on=datetime.date(2026, 1, 1),
                status="active",
                created_at=now,
            )
            for client in clients
        ],
        batch_size=5000,
    )
    mandates = dict(Mandate.objects.filter(firm=firm).values_list("client_id", "pk"))
    batch = DebitBatch.objects.create(
        firm=firm, message_id="BENCH", created_at=now, count=count, control_sum=0, xml=b""
    )
    Debit.objects.bulk_create(
        [
            Debit(
                firm=firm,
                invoice_id=invoice,
                mandate_id=mandates[client],
                due_date=DAY,
                amount=balance,
                status="sent",
                sequence="RCUR",
                batch=batch,
                scheduled_at=now,
            )
            for invoice, client, balance in Invoice.objects.filter(firm=firm).values_list(
                "pk", "client_id", "balance"
            )
        ],
        batch_size=5000,
    )
    debits = list(Debit.objects.filter(firm=firm).order_by("pk"))
    message_id, xml = pain008.build(
        creditor("pain.008.001.02"), collections([d.pk for d in debits])
    )
    DebitBatch.objects.filter(pk=batch.pk).update(message_id=message_id, xml=xml)
    return firm.pk, debits


def camt053(debits, returns: int) -> bytes:
    """The bank's statement: the batch's credit as one entry with a TxDtls per debit
    (as German and French banks send it), then `returns` R-transactions (AM04)."""
    details = "".join(
        f"<TxDtls><Refs><EndToEndId>DD{d.pk}</EndToEndId><MndtId>RUM-{d.pk}</MndtId></Refs>"
        f'<AmtDtls><TxAmt><Amt Ccy="EUR">{d.amount:.2f}</Amt></TxAmt></AmtDtls></TxDtls>'
        for d in debits
    )
    total = sum(d.amount for d in debits)
    entries = [
        f'<Ntry><Amt Ccy="EUR">{total:.2f}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
        f"<BookgDt><Dt>{DAY}</Dt></BookgDt><AcctSvcrRef>BATCH</AcctSvcrRef>"
        f"<NtryDtls><Btch><NbOfTxs>{len(debits)}</NbOfTxs></Btch>{details}</NtryDtls></Ntry>"
    ]
    entries += [
        f'<Ntry><Amt Ccy="EUR">{d.amount:.2f}</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>'
        f"<BookgDt><Dt>{DAY}</Dt></BookgDt><AcctSvcrRef>R{d.pk}</AcctSvcrRef>"
        "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RDDT</Cd><SubFmlyCd>UPDD</SubFmlyCd></Fmly>"
        f"</Domn></BkTxCd><NtryDtls><TxDtls><Refs><EndToEndId>DD{d.pk}</EndToEndId></Refs>"
        "<RtrInf><Rsn><Cd>AM04</Cd></Rsn></RtrInf></TxDtls></NtryDtls></Ntry>"
        for d in debits[:returns]
    ]
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:'
        'xsd:camt.053.001.02"><BkToCstmrStmt><GrpHdr><MsgId>B</MsgId><CreDtTm>'
        f"{DAY}T06:00:00</CreDtTm></GrpHdr><Stmt><Id>S</Id><CreDtTm>{DAY}T06:00:00</CreDtTm>"
        "<Acct><Id><IBAN>FR1420041010050500013M02606</IBAN></Id></Acct>"
        f"{''.join(entries)}</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--debits", type=int, default=10_000)
    parser.add_argument("--returns", type=int, default=200)
    args = parser.parse_args()
    setup_django(f"sqlite:///{OUT / 'sepa.sqlite3'}")
    from bench.common import migrate_fresh
    from facturier.receivables import pain008
    from facturier.receivables.actions.debit_returns import debit_of
    from facturier.receivables.camt import parse_camt
    from facturier.receivables.debit_matching import settled_debits

    ok = True
    rows = collections(list(range(1, args.debits + 1)))
    for schema in ("pain.008.001.02", "pain.008.001.08"):
        start = time.perf_counter()
        _id, xml = pain008.build(creditor(schema), rows)
        took = time.perf_counter() - start
        print(f"{schema}: {args.debits} debits, {len(xml) / 2**20:.1f} MiB")
        ok &= figure(
            f"{schema} of {args.debits} debits built and validated",
            took,
            3,
            unit=" s",
            higher_is_better=False,
        )

    migrate_fresh()
    firm_id, debits = populate(args.debits)
    data = camt053(debits, args.returns)
    start = time.perf_counter()
    _message, lines = parse_camt(data)
    credits = [line for line in lines if not line.skip]
    matched = settled_debits(firm_id, credits)
    returned = [debit_of(firm_id, line.reference) for line in lines if line.skip == "return"]
    took = time.perf_counter() - start
    settling = sum(1 for found in matched if found)
    known = sum(1 for debit in returned if debit is not None)
    left = len(lines) - settling - known
    print(
        f"camt.053: {len(lines)} lines: {settling} settle a debit, {known} return one, "
        f"{left} left for a person"
    )
    assert settling == args.debits and known == args.returns and left == 0
    ok &= figure(
        f"camt.053 of {args.debits} settled debits and {args.returns} returns read and matched",
        took,
        5,
        unit=" s",
        higher_is_better=False,
    )
    with open("/proc/loadavg") as load:
        print(
            f"\n{machine()}, sqlite, load average {load.read().split()[0]} while it ran "
            "(on the loaded machine)"
        )


if __name__ == "__main__":
    main()
