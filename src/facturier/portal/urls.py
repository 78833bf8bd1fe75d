from django.urls import path

from . import views, views_letters, views_mandates

app_name = "portal"

urlpatterns = [
    path("", views.sign_in, name="sign_in"),
    path("link/<str:token>/", views.open_link, name="open_link"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("home/", views.home, name="home"),
    path("documents/", views.documents, name="documents"),
    path("invoices/<id:pk>/", views.invoice, name="invoice"),
    path("invoices/<id:pk>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path(
        "invoices/<id:pk>/factur-x.xml",
        views.invoice_xml,
        {"syntax": "cii"},
        name="invoice_facturx",
    ),
    path("invoices/<id:pk>/ubl.xml", views.invoice_xml, {"syntax": "ubl"}, name="invoice_ubl"),
    path("invoices/<id:pk>/epc-qr.svg", views.invoice_qr, name="invoice_qr"),
    path("payments/", views.payments, name="payments"),
    path("statement/", views.statement, name="statement"),
    path("statement/pdf/", views.statement_pdf, name="statement_pdf"),
    path("mandates/", views_mandates.mandates, name="mandates"),
    path("mandates/<id:pk>/", views_mandates.mandate, name="mandate"),
    path("mandates/<id:pk>/pdf/", views_mandates.mandate_pdf_view, name="mandate_pdf"),
    path("letters/", views_letters.letters, name="letters"),
    path("letters/<id:pk>/", views_letters.letter, name="letter"),
    path("letters/<id:pk>/pdf/", views_letters.letter_pdf, name="letter_pdf"),
]
