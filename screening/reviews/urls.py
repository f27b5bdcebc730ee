"""URLs of this feature; screening/urls.py gathers them under the "screening" namespace."""

from django.urls import path

from screening.reviews import accounts, views

urlpatterns = [
    path("accounts/me/", accounts.account_page, name="account"),
    path("", views.review_list, name="review-list"),
    path("reviews/new/", views.review_create_view, name="review-create"),
    path("invitations/<str:token>/", views.invitation_accept_view, name="invitation-accept"),
    path("r/<slug:slug>/", views.review_home, name="review-home"),
    path("r/<slug:slug>/members/", views.member_list, name="member-list"),
    path("r/<slug:slug>/members/<int:pk>/", views.member_change, name="member-change"),
]
