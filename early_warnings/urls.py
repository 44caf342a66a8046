from django.urls import path

from early_warnings import feeds, views

app_name = "early_warnings"

urlpatterns = [
    path("", views.board, name="board"),
    path("new/", views.draft, name="new"),
    path("preview/", views.preview, name="preview"),
    path("feed.atom", feeds.WarningsInEffectFeed(), name="feed"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.draft, name="edit"),
    path("<int:pk>/notice/", views.public_notice_page, name="notice"),
    path("<int:pk>/cap/v<int:version>.xml", views.cap_download, name="cap"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/approve/", views.approve, name="approve"),
    path("<int:pk>/reject/", views.reject, name="reject"),
    path("<int:pk>/report-up/", views.report_up, name="report_up"),
    path("<int:pk>/update/", views.update, name="update"),
    path("<int:pk>/channels/", views.channels, name="channels"),
    path("<int:pk>/lift/", views.lift, name="lift"),
]
