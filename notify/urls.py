from django.urls import path

from notify import views

app_name = "notify"

urlpatterns = [
    path("outbox/", views.outbox, name="outbox"),
    # Short on purpose: the whole link goes into a 70-character SMS (notify.ack_links).
    path("a/<str:code>", views.acknowledge, name="ack"),
    path("a/<str:code>/", views.acknowledge),  # as some phones' link detectors pass it on
]
