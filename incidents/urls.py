from django.urls import path

from incidents import views

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="list"),
    path("new/", views.incident_new, name="new"),
    path("<int:pk>/", views.incident_detail, name="detail"),
    path("<int:pk>/written/", views.written_report_page, name="written"),
    path("<int:pk>/written.docx", views.written_report_download, name="written_docx"),
    path("<int:pk>/reports/<str:kind>/", views.follow_up_report, name="follow_up"),
    path("<int:pk>/upward/", views.upward_report_new, name="upward"),
    path("<int:pk>/inquiries/", views.inquiry_new, name="inquiry"),
    path("<int:pk>/inquiries/<int:inquiry_pk>/reply/", views.inquiry_reply, name="reply"),
    path("<int:pk>/status/<str:transition>/", views.status_change, name="status"),
]
