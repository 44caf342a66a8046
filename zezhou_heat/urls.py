from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from command_room import api as command_room_api
from command_room.views import home
from directory import api as directory_api
from directory import views as directory_views
from early_warnings import api as warnings_api
from incidents import api as incidents_api
from response import api as response_api
from timeline.views import notifications

admin.site.site_header = admin.site.site_title = _("Zezhou Heating Emergency Command")
admin.site.index_title = _("Administration")

router = DefaultRouter()
router.register("directory/units", directory_api.UnitViewSet, basename="unit")
router.register("directory/task-groups", directory_api.TaskGroupViewSet, basename="taskgroup")
router.register("directory/people", directory_api.PersonViewSet, basename="person")
router.register("directory/shifts", directory_api.DutyShiftViewSet, basename="shift")
router.register("incidents", incidents_api.IncidentViewSet, basename="incident")
router.register("responses", response_api.ResponseViewSet, basename="response")
router.register("notices", response_api.NoticeViewSet, basename="notice")
router.register("warnings", warnings_api.WarningViewSet, basename="warning")
router.register("checklist-items", response_api.ChecklistItemViewSet, basename="checklistitem")

api_urlpatterns = [
    path("", include(router.urls)),
    path("timeline/events/", command_room_api.EventsAfterView.as_view(), name="timeline-events"),
    path("auth/token/", directory_api.ObtainTokenView.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
]

handler404 = "zezhou_heat.views.page_not_found"
handler500 = "zezhou_heat.views.server_error"

urlpatterns = [
    path("", home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True),
         name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/two-factor/", directory_views.two_factor_verify, name="two_factor_verify"),
    path("accounts/two-factor/setup/", directory_views.two_factor_setup,
         name="two_factor_setup"),
    path("accounts/two-factor/accounts/", directory_views.two_factor_accounts,
         name="two_factor_accounts"),
    path("accounts/two-factor/accounts/<int:pk>/reset/", directory_views.two_factor_reset,
         name="two_factor_reset"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("command_room.urls")),
    path("directory/", include("directory.urls")),
    path("incidents/", include("incidents.urls")),
    path("response/", include("response.urls")),
    path("warnings/", include("early_warnings.urls")),
    path("notifications/", notifications, name="notifications"),
    path("", include("notify.urls")),
    path("notify/gateway/", include("notify.gateway_urls")),
    path("admin/", admin.site.urls),
    path("api/", include(api_urlpatterns)),
]
