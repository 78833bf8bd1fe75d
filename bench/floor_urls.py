"""The project's URLs and one more: a view that reads the session's user and renders
nothing, the floor under any page's time through Django (bench.invoice_list)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path

from facturier.urls import urlpatterns as project


@login_required
def bare(request):
    return HttpResponse("ok")


urlpatterns = [path("bench/bare/", bare), *project]
