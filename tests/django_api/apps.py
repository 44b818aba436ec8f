from django.apps import AppConfig


class DjangoApiConfig(AppConfig):
    name = "tests.django_api"
    label = "django_api"
    default_auto_field = "django.db.models.BigAutoField"
