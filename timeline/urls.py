from django.urls import path

from timeline import views

app_name = "timeline"

urlpatterns = [
    path("", views.command_room, name="command_room"),
    path("unit/", views.unit_dashboard, name="unit_dashboard"),
]
