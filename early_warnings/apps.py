from django.apps import AppConfig


class EarlyWarningsConfig(AppConfig):
    name = "early_warnings"
