from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from applications import selectors


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"open_calls": selectors.open_calls()})
