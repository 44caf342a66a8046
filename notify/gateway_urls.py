"""Addresses SMS gateways push to (notify.gateway_views), under /notify/gateway/."""

from django.urls import path

from notify import gateway_views

urlpatterns = [
    path("aliyun/<str:token>/report/", gateway_views.aliyun_report, name="notify-aliyun-report"),
    path("aliyun/<str:token>/up/", gateway_views.aliyun_reply, name="notify-aliyun-up"),
]
