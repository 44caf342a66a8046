from django.urls import path

from command_room import views

app_name = "command_room"

urlpatterns = [
    path("command/", views.command_room, name="command_room"),
    path("command/wall/", views.wall, name="wall"),
    path("command/unit/", views.unit_dashboard, name="unit_dashboard"),
    path("command/brief/", views.brief, name="brief"),
    path("command/brief/issue/", views.brief_issued, name="brief_issue"),
    path("response/inbox/", views.inbox, name="inbox"),
]
