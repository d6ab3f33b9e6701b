from django.apps import AppConfig


class HelpcentreConfig(AppConfig):
    name = "helpcentre"
    verbose_name = "Aide en ligne"
