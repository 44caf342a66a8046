from django.urls import path, re_path

from directory import views

app_name = "directory"

urlpatterns = [
    path("", views.directory_page, name="index"),
    re_path(r"^export\.(?P<fmt>csv|xlsx)$", views.directory_export, name="export"),
    path("import/", views.directory_import, name="import"),
    path("import/confirm/", views.directory_import_confirm, name="import_confirm"),
    path("people/new/", views.person_edit, name="person_new"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("units/<slug:code>/", views.unit_detail, name="unit"),
    path("map/", views.county_map_page, name="county_map"),
    path("map/<int:pk>.geojson", views.county_map_geojson, name="county_map_geojson"),
    path("roster/", views.roster_page, name="roster"),
    path("roster/shifts/", views.shift_create, name="shift_create"),
]
