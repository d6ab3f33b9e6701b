"""``/api/``: the versioned API, its OpenAPI schema and its browsable documentation."""

from django.conf import settings
from django.urls import include, path
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

app_name = "api"


class SwaggerView(SpectacularSwaggerView):
    """drf-spectacular's docs page answers ``Cross-Origin-Opener-Policy: unsafe-none``, for Swagger
    UI's OAuth2 pop-up; the API has no OAuth2, so the portal's policy (``same-origin``) stands."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response["Cross-Origin-Opener-Policy"] = settings.SECURE_CROSS_ORIGIN_OPENER_POLICY
        return response


urlpatterns = [
    path("v1/", include("api.v1.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SwaggerView.as_view(url_name="api:schema", template_name="api/swagger_ui.html"),
         name="docs"),
]
