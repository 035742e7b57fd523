"""The staff's routes under /api/v1/staff/ (permission ``api.permissions.StaffScope``)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
