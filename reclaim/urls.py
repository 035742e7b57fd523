from django.urls import path

from reclaim import views

urlpatterns = [
    path("reclaim/<int:pk>/", views.reclaim_case, name="reclaim_case"),
]
