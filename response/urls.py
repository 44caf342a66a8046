from django.urls import path

from response import views

app_name = "response"

urlpatterns = [
    path("unit/", views.unit_page, name="unit"),
    path("incidents/<int:incident_pk>/propose/", views.propose, name="propose"),
    path("<int:pk>/approve/", views.approve, name="approve"),
    path("<int:pk>/reject/", views.reject, name="reject"),
    path("<int:pk>/change-level/", views.change_level, name="change_level"),
    path("<int:pk>/site-headquarters/", views.site_headquarters, name="site_headquarters"),
    path("<int:pk>/confirm-condition/", views.confirm_condition, name="confirm_condition"),
    path("<int:pk>/hand-over/", views.hand_over, name="hand_over"),
    path("<int:pk>/end/", views.end, name="end"),
    path("notices/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("items/<int:pk>/mark/", views.mark_item, name="mark"),
]
