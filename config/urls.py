from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from config.health import health
from screening.reviews.accounts import ThrottledPasswordResetView

urlpatterns = [
    # For load balancers and monitors: no login, never cached (config/health.py).
    path("health/", health, name="health"),
    # Before Django's own: the same page, counted (screening/reviews/accounts.py).
    path(
        "accounts/password_reset/",
        ThrottledPasswordResetView.as_view(),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    # The REST API and its schema (api/, docs/api.md).
    path("api/", include("api.urls")),
    path("", include("screening.urls")),
    path("", include("extraction.urls")),
    path("", include("risk_of_bias.urls")),
    path("", include("meta_analysis.urls")),
    path("", include("grade.urls")),
]

# A 403 page that says why, in the review's menu (templates/403.html); Django's own 404
# handler renders templates/404.html.
handler403 = "screening.permissions.denied.permission_denied"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.STATIC_URL, document_root=settings.STATIC_ROOT)
