from django.urls import path

from . import billing as views
from . import sending as send_views

app_name = "billing"

urlpatterns = [
    path("invoices/", views.invoice_list_view, name="invoices"),
    path("invoices/selected/", views.bulk_action, name="bulk"),
    path("invoices/send/", send_views.send_dialog, name="send"),
    path("deliveries/<int:pk>/eml/", send_views.delivery_file, name="delivery_file"),
    path("invoices/new/", views.invoice_create, name="invoice_new"),
    path("invoices/totals/", views.totals_preview, name="totals"),
    path("invoices/<int:pk>/", views.invoice_detail_view, name="invoice"),
    path("invoices/<int:pk>/edit/", views.invoice_edit, name="invoice_edit"),
    path("invoices/<int:pk>/delete/", views.invoice_delete, name="invoice_delete"),
    path("invoices/<int:pk>/finalize/", views.invoice_finalize, name="invoice_finalize"),
    path("invoices/<int:pk>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("invoices/<int:pk>/factur-x.xml", views.invoice_xml, name="invoice_xml"),
    path("invoices/<int:pk>/ubl.xml", views.invoice_xml, {"syntax": "ubl"}, name="invoice_ubl"),
    path("invoices/<int:pk>/pdf/view/", views.invoice_pdf_view, name="invoice_pdf_view"),
]
