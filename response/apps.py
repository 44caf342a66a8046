from django.apps import AppConfig


class ResponseConfig(AppConfig):
    name = "response"
