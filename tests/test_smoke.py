from django.apps import apps


def test_app_is_installed() -> None:
    assert apps.get_app_config("django_streaminbox").verbose_name == "Stream inbox"
