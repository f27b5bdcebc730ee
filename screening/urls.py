from django.urls import path

from screening import audit_views, prisma_views, screening_views, search_views, stopping_views, views

app_name = "screening"
urlpatterns = [
    path("", views.review_list, name="review-list"),
    path("reviews/new/", views.review_create_view, name="review-create"),
    path("invitations/<str:token>/", views.invitation_accept_view, name="invitation-accept"),
    path("r/<slug:slug>/", views.review_home, name="review-home"),
    path("r/<slug:slug>/members/", views.member_list, name="member-list"),
    path("r/<slug:slug>/members/<int:pk>/", views.member_change, name="member-change"),
    path("r/<slug:slug>/import/", views.import_upload, name="import-upload"),
    path("r/<slug:slug>/import/<int:pk>/", views.import_job_detail, name="import-job"),
    path(
        "r/<slug:slug>/import/<int:pk>/<str:action>/",
        views.import_job_action,
        name="import-job-action",
    ),
    path("r/<slug:slug>/searches/", search_views.search_list, name="search-list"),
    path("r/<slug:slug>/searches/<int:pk>/", search_views.search_detail, name="search-detail"),
    path("r/<slug:slug>/searches/<int:pk>/rerun/", search_views.search_rerun, name="search-rerun"),
    path(
        "r/<slug:slug>/searches/<int:pk>/schedule/",
        search_views.search_schedule,
        name="search-schedule",
    ),
    path("r/<slug:slug>/pubmed/", search_views.pubmed_search, name="pubmed-search"),
    path("r/<slug:slug>/pubmed/jobs/<int:pk>/", search_views.pubmed_job_detail, name="pubmed-job"),
    path(
        "r/<slug:slug>/pubmed/jobs/<int:pk>/<str:action>/",
        search_views.pubmed_job_action,
        name="pubmed-job-action",
    ),
    path("r/<slug:slug>/references/", views.reference_list, name="reference-list"),
    path("r/<slug:slug>/references/remove/", views.reference_remove, name="reference-remove"),
    path("r/<slug:slug>/references/<int:pk>/", views.reference_detail, name="reference-detail"),
    path("r/<slug:slug>/screen/<str:stage_slug>/", screening_views.screen, name="screen"),
    path(
        "r/<slug:slug>/screen/<str:stage_slug>/decide/",
        screening_views.screen_decide,
        name="screen-decide",
    ),
    path(
        "r/<slug:slug>/screen/<str:stage_slug>/undo/",
        screening_views.screen_undo,
        name="screen-undo",
    ),
    path("r/<slug:slug>/conflicts/", screening_views.conflict_list, name="conflict-list"),
    path(
        "r/<slug:slug>/conflicts/<int:pk>/resolve/",
        screening_views.conflict_resolve_view,
        name="conflict-resolve",
    ),
    path(
        "r/<slug:slug>/references/<int:pk>/reopen/<str:stage_slug>/",
        screening_views.reference_reopen,
        name="reference-reopen",
    ),
    path("r/<slug:slug>/agreement/", screening_views.agreement, name="agreement"),
    path("r/<slug:slug>/prisma/", prisma_views.prisma_page, name="prisma"),
    path("r/<slug:slug>/stopping/draw/", stopping_views.stopping_draw_view, name="stopping-draw"),
    path(
        "r/<slug:slug>/stopping/apply/", stopping_views.stopping_apply_view, name="stopping-apply"
    ),
    path(
        "r/<slug:slug>/stopping/withdraw/",
        stopping_views.stopping_withdraw_view,
        name="stopping-withdraw",
    ),
    path("r/<slug:slug>/audit/", audit_views.audit_log, name="audit-log"),
    path(
        "r/<slug:slug>/audit/receipt/",
        audit_views.audit_receipt_download,
        name="audit-receipt",
    ),
    path("r/<slug:slug>/exclusions/", audit_views.exclusion_audit, name="exclusion-audit"),
    path(
        "r/<slug:slug>/exclusions/samples/",
        audit_views.verification_draw_view,
        name="verification-draw",
    ),
    path(
        "r/<slug:slug>/exclusions/samples/<int:pk>/",
        audit_views.verification_screen,
        name="verification-screen",
    ),
    path("r/<slug:slug>/retrieval/", screening_views.retrieval_list, name="retrieval-list"),
    path(
        "r/<slug:slug>/retrieval/<int:pk>/",
        screening_views.retrieval_record,
        name="retrieval-record",
    ),
    path("r/<slug:slug>/fulltexts/<int:pk>/", screening_views.fulltext_file, name="fulltext-file"),
    path("r/<slug:slug>/settings/", screening_views.screening_settings, name="screening-settings"),
    path("r/<slug:slug>/duplicates/", views.duplicate_list, name="duplicate-list"),
    path(
        "r/<slug:slug>/duplicates/<int:pk>/<str:action>/",
        views.duplicate_action,
        name="duplicate-action",
    ),
]
