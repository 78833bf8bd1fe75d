from django.urls import path

from . import aging as aging_views
from . import bank_files as statement_views
from . import billing as views
from . import budgets as budget_views
from . import clients as client_views
from . import credit_notes as credit_views
from . import deposits as deposit_views
from . import direct_debits as debit_views
from . import einvoicing as einvoicing_views
from . import engagement_letters as letter_views
from . import engagements as engagement_views
from . import ereporting as ereporting_views
from . import exports as export_views
from . import outbox as outbox_views
from . import overview as overview_views
from . import personal_data as personal_data_views
from . import portal_access as portal_views
from . import receivables as payment_views
from . import reminders as reminder_views
from . import sending as send_views
from . import work as work_views

app_name = "billing"

urlpatterns = [
    path("invoices/", views.invoice_list_view, name="invoices"),
    path("invoices/selected/", views.bulk_action, name="bulk"),
    path("invoices/send/", send_views.send_dialog, name="send"),
    path("deliveries/<id:pk>/eml/", send_views.delivery_file, name="delivery_file"),
    path("outbox/", outbox_views.outbox_view, name="outbox"),
    path("outbox/retry/", outbox_views.retry_all_view, name="outbox_retry"),
    path(
        "deliveries/<id:pk>/retry/",
        outbox_views.retry_view,
        {"kind": "email"},
        name="delivery_retry",
    ),
    path(
        "letters/<id:pk>/retry/", outbox_views.retry_view, {"kind": "letter"}, name="letter_retry"
    ),
    path(
        "transmissions/<id:pk>/retry/",
        outbox_views.retry_view,
        {"kind": "platform"},
        name="transmission_retry",
    ),
    path("invoices/new/", views.invoice_create, name="invoice_new"),
    path("invoices/new-deposit/", deposit_views.deposit_new, name="deposit_new"),
    path(
        "invoices/<id:pk>/deduct-deposits/",
        deposit_views.deduct_deposits,
        name="invoice_deduct_deposits",
    ),
    path(
        "invoices/<id:pk>/release-deposits/",
        deposit_views.release_deposits,
        name="invoice_release_deposits",
    ),
    path("invoices/totals/", views.totals_preview, name="totals"),
    path("invoices/<id:pk>/", views.invoice_detail_view, name="invoice"),
    path("invoices/<id:pk>/edit/", views.invoice_edit, name="invoice_edit"),
    path("invoices/<id:pk>/delete/", views.invoice_delete, name="invoice_delete"),
    path("invoices/<id:pk>/finalize/", views.invoice_finalize, name="invoice_finalize"),
    path("invoices/<id:pk>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("invoices/<id:pk>/factur-x.xml", views.invoice_xml, name="invoice_xml"),
    path("invoices/<id:pk>/ubl.xml", views.invoice_xml, {"syntax": "ubl"}, name="invoice_ubl"),
    path("invoices/<id:pk>/pdf/view/", views.invoice_pdf_view, name="invoice_pdf_view"),
    path("invoices/<id:pk>/credit-note/", credit_views.credit_note_new, name="credit_note_new"),
    path("invoices/<id:pk>/credit/", credit_views.credit_note_credit, name="credit_note_credit"),
    path("engagements/", engagement_views.engagement_list_view, name="engagements"),
    path("engagements/new/", engagement_views.engagement_form_view, name="engagement_new"),
    path("engagements/run/", engagement_views.run_view, name="engagements_run"),
    path("engagements/<id:pk>/", engagement_views.engagement_detail_view, name="engagement"),
    path(
        "engagements/<id:pk>/edit/", engagement_views.engagement_form_view, name="engagement_edit"
    ),
    path("engagements/<id:pk>/end/", engagement_views.end_view, name="engagement_end"),
    path(
        "engagements/<id:pk>/deposit/",
        engagement_views.deposit_view,
        name="engagement_deposit",
    ),
    path("engagements/<id:pk>/pause/", engagement_views.pause_view, name="engagement_pause"),
    path("engagements/<id:pk>/resume/", engagement_views.resume_view, name="engagement_resume"),
    path("engagements/<id:pk>/retry/", engagement_views.retry_view, name="engagement_retry"),
    path(
        "engagements/<id:pk>/letter/", letter_views.letter_create_view, name="engagement_letter_new"
    ),
    path(
        "engagement-letters/<id:pk>/pdf/",
        letter_views.letter_pdf_view,
        name="engagement_letter_pdf",
    ),
    path(
        "engagement-letters/<id:pk>/signed/",
        letter_views.letter_signed_view,
        name="engagement_letter_signed",
    ),
    path(
        "engagement-letters/<id:pk>/send/",
        letter_views.letter_send_view,
        name="engagement_letter_send",
    ),
    path(
        "engagement-letters/<id:pk>/sign/",
        letter_views.letter_sign_view,
        name="engagement_letter_sign",
    ),
    path(
        "engagement-letters/<id:pk>/activate/",
        letter_views.letter_activate_view,
        name="engagement_letter_activate",
    ),
    path("engagements/<id:pk>/budgets/", budget_views.budget_add_view, name="budget_add"),
    path("engagements/budgets/", budget_views.budget_report_view, name="budgets"),
    path("budgets/<id:pk>/remove/", budget_views.budget_remove_view, name="budget_remove"),
    path("aging/", aging_views.aging_view, name="aging"),
    path("overview/", overview_views.overview_view, name="overview"),
    path("time/", work_views.time_view, name="time"),
    path("time/<id:pk>/delete/", work_views.entry_delete, name="entry_delete"),
    path("time/<id:pk>/", work_views.entry_edit, name="entry_edit"),
    path("time/<id:pk>/receipt/", work_views.entry_receipt, name="entry_receipt"),
    path("time/import/", work_views.entries_import, name="entries_import"),
    path("time/week/", work_views.week_view, name="week"),
    path("time/spread/", work_views.spread_view, name="spread"),
    path("wip/", work_views.wip_view, name="wip"),
    path("wip/realization/", work_views.realization_view, name="realization"),
    path("wip/<id:pk>/", work_views.wip_client_view, name="wip_client"),
    path("exports/", export_views.exports_view, name="exports"),
    path("ereporting/", ereporting_views.ereporting_view, name="ereporting"),
    path("ereporting/<id:pk>/file/", ereporting_views.ereport_file, name="ereport_file"),
    path("ereporting/<id:pk>/correct/", ereporting_views.ereport_correct, name="ereport_correct"),
    path("ereporting/<id:pk>/retry/", ereporting_views.ereport_retry, name="ereport_retry"),
    path("invoices/remind/", reminder_views.remind_dialog, name="remind"),
    path("reminders/pause/", reminder_views.pause_view, name="reminder_pause"),
    path("letters/<id:pk>/pdf/", reminder_views.letter_pdf, name="letter_pdf"),
    path("clients/<id:pk>/statement/", reminder_views.statement_view, name="statement_pdf"),
    path("payments/", payment_views.payment_list_view, name="payments"),
    path("payments/new/", payment_views.payment_new, name="payment_new"),
    path("payments/<id:pk>/", payment_views.payment_detail_view, name="payment"),
    path("payments/<id:pk>/change/", payment_views.payment_change, name="payment_change"),
    path("allocations/<id:pk>/remove/", payment_views.allocation_remove, name="allocation_remove"),
    path("clients/", client_views.client_list_view, name="clients"),
    path("clients/new/", client_views.client_new, name="client_new"),
    path("clients/import/", client_views.clients_import, name="clients_import"),
    path("clients/<id:pk>/edit/", client_views.client_edit, name="client_edit"),
    path("clients/<id:pk>/archive/", client_views.client_archive, name="client_archive"),
    path("clients/<id:pk>/delete/", client_views.client_delete, name="client_delete"),
    path("clients/<id:pk>/merge/", client_views.client_merge, name="client_merge"),
    path("clients/<id:pk>/portal/invite/", portal_views.portal_invite, name="client_portal_invite"),
    path("clients/<id:pk>/portal/revoke/", portal_views.portal_revoke, name="client_portal_revoke"),
    path("clients/<id:pk>/contacts/new/", client_views.contact_new, name="contact_new"),
    path("contacts/<id:pk>/", client_views.contact_edit, name="contact_edit"),
    path("contacts/<id:pk>/remove/", client_views.contact_remove, name="contact_remove"),
    path(
        "contacts/<id:pk>/personal-data/",
        personal_data_views.contact_export,
        name="contact_personal_data",
    ),
    path("contacts/<id:pk>/erase/", personal_data_views.contact_erase, name="contact_erase"),
    path("clients/<id:pk>/", payment_views.client_account, name="client_account"),
    path(
        "clients/<id:pk>/directory/",
        einvoicing_views.client_directory,
        name="client_directory",
    ),
    path("clients/<id:pk>/mandates/new/", debit_views.mandate_new, name="mandate_new"),
    path("mandates/<id:pk>/status/", debit_views.mandate_status, name="mandate_status"),
    path("invoices/<id:pk>/debit/", debit_views.invoice_debit, name="invoice_debit"),
    path("debits/", debit_views.debits_view, name="debits"),
    path("debits/export/", debit_views.debits_export, name="debits_export"),
    path("debit-batches/<id:pk>/file/", debit_views.batch_file, name="debit_batch_file"),
    path("statements/", statement_views.statement_import, name="statement_import"),
    path("statements/<id:pk>/", statement_views.statement_view, name="statement"),
]
