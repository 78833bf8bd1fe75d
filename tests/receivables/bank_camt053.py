"""camt.053 statements shaped as French and German banks send them for a SEPA direct-
debit collection: one booked entry (BkTxCd PMNT/RCDT... IDDT/ESDD) for the whole batch,
its NtryDtls/Btch giving the payment information id (or the message id), the number of
debits and the total, with or without one TxDtls per debit (its EndToEndId, its amount
under AmtDtls/TxAmt as in camt.053.001.02)."""

import datetime
from decimal import Decimal

NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
ACCOUNT = "FR1420041010050500013M02606"
TODAY = datetime.date.today().isoformat()


def debit_detail(end_to_end: str, amount: Decimal, mandate: str, debtor: str) -> str:
    return f"""
        <TxDtls>
          <Refs><MsgId>NOTPROVIDED</MsgId><EndToEndId>{end_to_end}</EndToEndId>
            <MndtId>{mandate}</MndtId></Refs>
          <AmtDtls><TxAmt><Amt Ccy="EUR">{amount:.2f}</Amt></TxAmt></AmtDtls>
          <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RDDT</Cd><SubFmlyCd>ESDD</SubFmlyCd></Fmly></Domn>
            <Prtry><Cd>NDDT+117</Cd><Issr>ZKA</Issr></Prtry></BkTxCd>
          <RltdPties><Dbtr><Nm>{debtor}</Nm></Dbtr>
            <DbtrAcct><Id><IBAN>FR7630006000011234567890189</IBAN></Id></DbtrAcct></RltdPties>
          <RmtInf><Ustrd>Facture</Ustrd></RmtInf>
        </TxDtls>"""


def batch_entry(
    *,
    total: Decimal,
    count: int,
    payment_information: str = "",
    message_id: str = "",
    details: list[str] = (),
    day: str = TODAY,
    reference: str = "2026121800042",
) -> str:
    ids = (f"<MsgId>{message_id}</MsgId>" if message_id else "") + (
        f"<PmtInfId>{payment_information}</PmtInfId>" if payment_information else ""
    )
    return f"""
    <Ntry>
      <Amt Ccy="EUR">{total:.2f}</Amt>
      <CdtDbtInd>CRDT</CdtDbtInd>
      <Sts>BOOK</Sts>
      <BookgDt><Dt>{day}</Dt></BookgDt>
      <ValDt><Dt>{day}</Dt></ValDt>
      <AcctSvcrRef>{reference}</AcctSvcrRef>
      <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>IDDT</Cd><SubFmlyCd>ESDD</SubFmlyCd></Fmly></Domn>
        <Prtry><Cd>0117</Cd><Issr>FR</Issr></Prtry></BkTxCd>
      <NtryDtls>
        <Btch>{ids}<NbOfTxs>{count}</NbOfTxs><TtlAmt Ccy="EUR">{total:.2f}</TtlAmt>
          <CdtDbtInd>CRDT</CdtDbtInd></Btch>{"".join(details)}
      </NtryDtls>
      <AddtlNtryInf>REMISE PRLV SEPA {count} OPERATIONS</AddtlNtryInf>
    </Ntry>"""


def statement(*entries: str, day: str = TODAY) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{NS}">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>STMT{day.replace("-", "")}</MsgId><CreDtTm>{day}T06:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT-{day}</Id>
      <ElctrncSeqNb>245</ElctrncSeqNb>
      <CreDtTm>{day}T06:00:00</CreDtTm>
      <Acct><Id><IBAN>{ACCOUNT}</IBAN></Id><Ccy>EUR</Ccy></Acct>
      {"".join(entries)}
    </Stmt>
  </BkToCstmrStmt>
</Document>""".encode()
