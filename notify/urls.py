from django.urls import path

from notify import views

app_name = "notify"

urlpatterns = [
    path("outbox/", views.outbox, name="outbox"),
    path("notify/deliveries/", views.deliveries, name="deliveries"),
    path("notify/deliveries/export.xlsx", views.deliveries_export, name="deliveries_export"),
    # Short on purpose: the whole link goes into a 70-character SMS (notify.ack_links).
    path("a/<str:code>", views.acknowledge, name="ack"),
    path("a/<str:code>/", views.acknowledge),  # as some phones' link detectors pass it on
]
