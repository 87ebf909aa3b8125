from django.urls import path

app_name = "streaminbox"

urlpatterns: list = []
