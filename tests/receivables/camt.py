"""A camt.053.001.02 statement as French banks export it, built for the tests."""

from xml.sax.saxutils import escape


def entry(
    amount: str,
    *,
    credit: bool = True,
    day: str = "2026-11-20",
    text: str = "",
    end_to_end: str = "NOTPROVIDED",
    debtor: str = "",
    iban: str = "",
    bank_ref: str = "",
) -> str:
    ref = f"<AcctSvcrRef>{escape(bank_ref)}</AcctSvcrRef>" if bank_ref else ""
    party = (
        f"<RltdPties><Dbtr><Nm>{escape(debtor)}</Nm></Dbtr>"
        + (f"<DbtrAcct><Id><IBAN>{iban}</IBAN></Id></DbtrAcct>" if iban else "")
        + "</RltdPties>"
        if debtor
        else ""
    )
    remittance = f"<RmtInf><Ustrd>{escape(text)}</Ustrd></RmtInf>" if text else ""
    return f"""
      <Ntry>
        <Amt Ccy="EUR">{amount}</Amt>
        <CdtDbtInd>{"CRDT" if credit else "DBIT"}</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>{day}</Dt></BookgDt>
        <ValDt><Dt>{day}</Dt></ValDt>
        {ref}
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>{escape(end_to_end)}</EndToEndId></Refs>
          <Amt Ccy="EUR">{amount}</Amt>
          {party}
          {remittance}
        </TxDtls></NtryDtls>
      </Ntry>"""


CAMT053 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"


def statement(
    *entries: str,
    message_id: str = "STMT-2026-11-20",
    namespace: str | None = CAMT053,
    encoding: str = "UTF-8",
    doctype: str = "",
) -> bytes:
    """The statement as bytes in `encoding` (UTF-16 with its byte-order mark), under
    `namespace` (None: no namespace at all), with `doctype` after the declaration."""
    xmlns = f' xmlns="{namespace}"' if namespace is not None else ""
    return f"""<?xml version="1.0" encoding="{encoding}"?>{doctype}
<Document{xmlns}>
  <BkToCstmrStmt>
    <GrpHdr><MsgId>{message_id}</MsgId><CreDtTm>2026-11-21T06:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>{message_id}</Id>
      <CreDtTm>2026-11-21T06:00:00</CreDtTm>
      <Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id></Acct>
      {"".join(entries)}
    </Stmt>
  </BkToCstmrStmt>
</Document>""".encode(encoding.lower())
