from django.apps import AppConfig


class ReclaimConfig(AppConfig):
    name = "reclaim"
