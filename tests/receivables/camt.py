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


# --- any shape: batch entries, conversions, returns, reports and notifications -------

MESSAGES = {
    "camt.053": ("BkToCstmrStmt", "Stmt"),
    "camt.052": ("BkToCstmrAcctRpt", "Rpt"),
    "camt.054": ("BkToCstmrDbtCdtNtfctn", "Ntfctn"),
}


def _amt(tag: str, amount: tuple[str, str] | None) -> str:
    return f'<{tag}><Amt Ccy="{amount[1]}">{amount[0]}</Amt></{tag}>' if amount else ""


def tx(
    amount: tuple[str, str] | None = None,
    *,
    credit: bool | None = None,
    end_to_end: str = "NOTPROVIDED",
    tx_id: str = "",
    ref: str = "",
    debtor: str = "",
    text: str = "",
    creditor_ref: str = "",
    instructed: tuple[str, str] | None = None,
    transaction: tuple[str, str] | None = None,
    counter_value: tuple[str, str] | None = None,
    charges: tuple[str, str] | None = None,
    returned: str = "",
    party: bool = False,
) -> str:
    """One TxDtls: `amount` is its own Amt (as of version .03), the others its AmtDtls;
    `returned` a return reason code; `party` the .08 shape (Dbtr/Pty/Nm)."""
    refs = "".join(
        f"<{tag}>{escape(value)}</{tag}>"
        for tag, value in (("AcctSvcrRef", ref), ("EndToEndId", end_to_end), ("TxId", tx_id))
        if value
    )
    details = (
        _amt("InstdAmt", instructed)
        + _amt("TxAmt", transaction)
        + _amt("CntrValAmt", counter_value)
    )
    name = f"<Pty><Nm>{escape(debtor)}</Nm></Pty>" if party else f"<Nm>{escape(debtor)}</Nm>"
    return (
        "<TxDtls>"
        + f"<Refs>{refs}</Refs>"
        + (f'<Amt Ccy="{amount[1]}">{amount[0]}</Amt>' if amount else "")
        + (f"<CdtDbtInd>{'CRDT' if credit else 'DBIT'}</CdtDbtInd>" if credit is not None else "")
        + (f"<AmtDtls>{details}</AmtDtls>" if details else "")
        + (
            f'<Chrgs><Rcrd><Amt Ccy="{charges[1]}">{charges[0]}</Amt>'
            "<CdtDbtInd>DBIT</CdtDbtInd></Rcrd></Chrgs>"
            if charges
            else ""
        )
        + (f"<RltdPties><Dbtr>{name}</Dbtr></RltdPties>" if debtor else "")
        + (
            "<RmtInf>"
            + (f"<Ustrd>{escape(text)}</Ustrd>" if text else "")
            + (
                f"<Strd><CdtrRefInf><Ref>{escape(creditor_ref)}</Ref></CdtrRefInf></Strd>"
                if creditor_ref
                else ""
            )
            + "</RmtInf>"
            if text or creditor_ref
            else ""
        )
        + (
            f"<RtrInf><Rsn><Cd>{returned}</Cd></Rsn><AddtlInf>RETOUR</AddtlInf></RtrInf>"
            if returned
            else ""
        )
        + "</TxDtls>"
    )


def ntry(
    amount: str,
    *details: str,
    currency: str = "EUR",
    credit: bool = True,
    day: str = "2026-11-20",
    bank_ref: str = "",
    status: str = "BOOK",
    coded_status: bool = False,
    reversal: bool = False,
    batch: int | None = None,
    family: str = "ESCT",
) -> str:
    """One Ntry holding `details` (TxDtls); `batch` gives the Btch block's NbOfTxs;
    `coded_status` writes the status the .08 way (Sts/Cd)."""
    sts = f"<Sts><Cd>{status}</Cd></Sts>" if coded_status else f"<Sts>{status}</Sts>"
    btch = f"<Btch><NbOfTxs>{batch}</NbOfTxs></Btch>" if batch else ""
    return (
        f'<Ntry><Amt Ccy="{currency}">{amount}</Amt>'
        f"<CdtDbtInd>{'CRDT' if credit else 'DBIT'}</CdtDbtInd>"
        + ("<RvslInd>true</RvslInd>" if reversal else "")
        + sts
        + f"<BookgDt><Dt>{day}</Dt></BookgDt><ValDt><Dt>{day}</Dt></ValDt>"
        + (f"<AcctSvcrRef>{escape(bank_ref)}</AcctSvcrRef>" if bank_ref else "")
        + "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd>"
        + f"<SubFmlyCd>{family}</SubFmlyCd></Fmly></Domn></BkTxCd>"
        + (f"<NtryDtls>{btch}{''.join(details)}</NtryDtls>" if details or btch else "")
        + "</Ntry>"
    )


def document(
    *entries: str,
    message: str = "camt.053",
    version: str = "02",
    account: str = "FR7630006000011234567890189",
    currency: str = "EUR",
    statement_id: str = "STMT-1",
) -> bytes:
    """A camt.053, camt.052 or camt.054 document holding one account's `entries`."""
    body, account_tag = MESSAGES[message]
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:{message}.001.{version}">
  <{body}>
    <GrpHdr><MsgId>{statement_id}</MsgId><CreDtTm>2026-11-21T06:00:00</CreDtTm></GrpHdr>
    <{account_tag}>
      <Id>{statement_id}</Id>
      <CreDtTm>2026-11-21T06:00:00</CreDtTm>
      <Acct><Id><IBAN>{account}</IBAN></Id><Ccy>{currency}</Ccy></Acct>
      {"".join(entries)}
    </{account_tag}>
  </{body}>
</Document>""".encode()
