from csp.decorators import csp_exempt
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views

urlpatterns = [
    path("v1/clients/", views.ClientList.as_view(), name="api-clients"),
    path("v1/clients/<int:pk>/", views.ClientDetail.as_view(), name="api-client"),
    path("v1/invoices/", views.InvoiceList.as_view(), name="api-invoices"),
    path("v1/invoices/send/", views.InvoiceBulkSend.as_view(), name="api-invoices-send"),
    path("v1/invoices/<int:pk>/", views.InvoiceDetail.as_view(), name="api-invoice"),
    path(
        "v1/invoices/<int:pk>/finalize/",
        views.InvoiceFinalize.as_view(),
        name="api-invoice-finalize",
    ),
    path("v1/invoices/<int:pk>/close/", views.InvoiceClose.as_view(), name="api-invoice-close"),
    path("v1/invoices/<int:pk>/reopen/", views.InvoiceReopen.as_view(), name="api-invoice-reopen"),
    path("v1/invoices/<int:pk>/pdf/", views.InvoicePdf.as_view(), name="api-invoice-pdf"),
    path("v1/invoices/<int:pk>/xml/", views.InvoiceXml.as_view(), name="api-invoice-xml"),
    path("v1/invoices/<int:pk>/send/", views.InvoiceSend.as_view(), name="api-invoice-send"),
    path("v1/invoices/<int:pk>/events/", views.InvoiceEvents.as_view(), name="api-invoice-events"),
    path(
        "v1/invoices/<int:pk>/deliveries/",
        views.InvoiceDeliveries.as_view(),
        name="api-invoice-deliveries",
    ),
    path("v1/templates/", views.TemplateList.as_view(), name="api-templates"),
    path("v1/templates/<int:pk>/", views.TemplateDetail.as_view(), name="api-template"),
    # The schema is public documentation: not counted against anyone's rate.
    path("schema/", SpectacularAPIView.as_view(throttle_classes=[]), name="api-schema"),
    # Swagger UI is one inline script and a bundle from its CDN: its own page, its own rules.
    path(
        "docs/",
        csp_exempt()(SpectacularSwaggerView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
]
