from csp.decorators import csp_exempt
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import direct_debits, directory, engagements, outbox, reports, views, webhooks, work

urlpatterns = [
    path("v1/clients/", views.ClientList.as_view(), name="api-clients"),
    path("v1/clients/<id:pk>/", views.ClientDetail.as_view(), name="api-client"),
    path("v1/invoices/", views.InvoiceList.as_view(), name="api-invoices"),
    path("v1/invoices/send/", views.InvoiceBulkSend.as_view(), name="api-invoices-send"),
    path("v1/invoices/<id:pk>/", views.InvoiceDetail.as_view(), name="api-invoice"),
    path(
        "v1/invoices/<id:pk>/finalize/",
        views.InvoiceFinalize.as_view(),
        name="api-invoice-finalize",
    ),
    path("v1/invoices/<id:pk>/close/", views.InvoiceClose.as_view(), name="api-invoice-close"),
    path("v1/invoices/<id:pk>/reopen/", views.InvoiceReopen.as_view(), name="api-invoice-reopen"),
    path("v1/invoices/<id:pk>/pdf/", views.InvoicePdf.as_view(), name="api-invoice-pdf"),
    path("v1/invoices/<id:pk>/xml/", views.InvoiceXml.as_view(), name="api-invoice-xml"),
    path("v1/invoices/<id:pk>/send/", views.InvoiceSend.as_view(), name="api-invoice-send"),
    path("v1/invoices/<id:pk>/events/", views.InvoiceEvents.as_view(), name="api-invoice-events"),
    path(
        "v1/invoices/<id:pk>/credit-notes/",
        views.InvoiceCreditNote.as_view(),
        name="api-invoice-credit-note",
    ),
    path(
        "v1/credit-notes/<id:pk>/allocate/",
        views.CreditNoteAllocate.as_view(),
        name="api-credit-note-allocate",
    ),
    path(
        "v1/credit-notes/<id:pk>/refund/",
        views.CreditNoteRefund.as_view(),
        name="api-credit-note-refund",
    ),
    path(
        "v1/invoices/<id:pk>/deliveries/",
        views.InvoiceDeliveries.as_view(),
        name="api-invoice-deliveries",
    ),
    path(
        "v1/invoices/<id:pk>/transmissions/",
        views.InvoiceTransmissions.as_view(),
        name="api-invoice-transmissions",
    ),
    path("v1/clients/<id:pk>/account/", views.ClientAccount.as_view(), name="api-client-account"),
    path(
        "v1/clients/<id:pk>/directory/",
        directory.ClientDirectory.as_view(),
        name="api-client-directory",
    ),
    path(
        "v1/einvoicing/webhook/<slug:key>/",
        webhooks.PlatformWebhook.as_view(),
        name="api-einvoicing-webhook",
    ),
    path("v1/payments/", views.PaymentList.as_view(), name="api-payments"),
    path(
        "v1/clients/<id:pk>/mandates/",
        direct_debits.ClientMandates.as_view(),
        name="api-client-mandates",
    ),
    path(
        "v1/mandates/<id:pk>/status/",
        direct_debits.MandateStatus.as_view(),
        name="api-mandate-status",
    ),
    path(
        "v1/invoices/<id:pk>/debit/", direct_debits.InvoiceDebit.as_view(), name="api-invoice-debit"
    ),
    path("v1/debits/", direct_debits.DebitList.as_view(), name="api-debits"),
    path("v1/debit-batches/", direct_debits.BatchList.as_view(), name="api-debit-batches"),
    path(
        "v1/debit-batches/<id:pk>/file/",
        direct_debits.BatchFile.as_view(),
        name="api-debit-batch-file",
    ),
    path("v1/engagements/", engagements.EngagementList.as_view(), name="api-engagements"),
    path("v1/engagements/run/", engagements.EngagementRun.as_view(), name="api-engagements-run"),
    path("v1/engagements/<id:pk>/", engagements.EngagementDetail.as_view(), name="api-engagement"),
    path(
        "v1/engagements/<id:pk>/end/",
        engagements.EngagementEnd.as_view(),
        name="api-engagement-end",
    ),
    path(
        "v1/engagements/<id:pk>/preview/",
        engagements.EngagementPreview.as_view(),
        name="api-engagement-preview",
    ),
    path("v1/index-values/", engagements.IndexValues.as_view(), name="api-index-values"),
    path("v1/entries/", work.EntryList.as_view(), name="api-entries"),
    path("v1/entries/<id:pk>/", work.EntryDetail.as_view(), name="api-entry"),
    path("v1/entries/<id:pk>/receipt/", work.EntryReceipt.as_view(), name="api-entry-receipt"),
    path("v1/work-codes/", work.WorkCodeList.as_view(), name="api-work-codes"),
    path("v1/wip/", work.WipList.as_view(), name="api-wip"),
    path(
        "v1/clients/<id:pk>/invoice-from-wip/",
        work.InvoiceFromWip.as_view(),
        name="api-client-invoice-from-wip",
    ),
    path(
        "v1/clients/<id:pk>/invoice-from-wip/preview/",
        work.InvoiceFromWipPreview.as_view(),
        name="api-client-invoice-from-wip-preview",
    ),
    path("v1/payments/<id:pk>/", views.PaymentDetail.as_view(), name="api-payment"),
    path(
        "v1/payments/<id:pk>/allocate/",
        views.PaymentAllocate.as_view(),
        name="api-payment-allocate",
    ),
    path("v1/payments/<id:pk>/refund/", views.PaymentRefund.as_view(), name="api-payment-refund"),
    path("v1/allocations/<id:pk>/", views.AllocationDetail.as_view(), name="api-allocation"),
    path("v1/statements/", views.StatementList.as_view(), name="api-statements"),
    path("v1/statements/<id:pk>/", views.StatementDetail.as_view(), name="api-statement"),
    path(
        "v1/statements/<id:pk>/confirm/",
        views.StatementConfirm.as_view(),
        name="api-statement-confirm",
    ),
    path("v1/templates/", views.TemplateList.as_view(), name="api-templates"),
    path("v1/templates/<id:pk>/", views.TemplateDetail.as_view(), name="api-template"),
    path("v1/aging/", reports.Aging.as_view(), name="api-aging"),
    path("v1/aging/file/", reports.AgingFile.as_view(), name="api-aging-file"),
    path("v1/overview/", reports.Overview.as_view(), name="api-overview"),
    path("v1/realization/", reports.Realization.as_view(), name="api-realization"),
    path(
        "v1/clients/<id:pk>/statement-of-account/",
        reports.StatementOfAccountPdf.as_view(),
        name="api-client-statement-of-account",
    ),
    path(
        "v1/clients/<id:pk>/statement-of-account/send/",
        reports.StatementOfAccountSend.as_view(),
        name="api-client-statement-of-account-send",
    ),
    path("v1/reminders/send/", reports.ReminderSend.as_view(), name="api-reminders-send"),
    path("v1/reminder-levels/", reports.ReminderLevels.as_view(), name="api-reminder-levels"),
    path("v1/reminder-pauses/", reports.ReminderPause.as_view(), name="api-reminder-pauses"),
    path("v1/letters/<id:pk>/pdf/", reports.LetterPdf.as_view(), name="api-letter-pdf"),
    path("v1/exports/", reports.Export.as_view(), name="api-exports"),
    path("v1/outbox/", outbox.Outbox.as_view(), name="api-outbox"),
    path("v1/outbox/retry/", outbox.OutboxRetry.as_view(), name="api-outbox-retry"),
    path("v1/deliveries/<id:pk>/retry/", outbox.EmailRetry.as_view(), name="api-delivery-retry"),
    path("v1/letters/<id:pk>/retry/", outbox.LetterRetry.as_view(), name="api-letter-retry"),
    path(
        "v1/transmissions/<id:pk>/retry/",
        outbox.TransmissionRetry.as_view(),
        name="api-transmission-retry",
    ),
    path("v1/exports/fec/", reports.Fec.as_view(), name="api-exports-fec"),
    # The schema is public documentation: not counted against anyone's rate.
    path("schema/", SpectacularAPIView.as_view(throttle_classes=[]), name="api-schema"),
    # Swagger UI is one inline script and a bundle from its CDN: its own page, its own rules.
    path(
        "docs/",
        csp_exempt()(SpectacularSwaggerView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
]
