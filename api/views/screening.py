"""Screening: your queue, your decisions, and a decision posted. A decision goes through the
service the screening page's form posts to (`decision_record`, with the form's one-off token),
so the decision log, the audit chain, the counters and PRISMA move exactly as after the page."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from api.decision_serializers import (
    DecisionIn,
    DecisionRecorded,
    MyDecisionOut,
    MyDecisionQuery,
    QueueOut,
    StageQuery,
)
from references.models import Reference
from screening.constants import EDITOR_ROLES, Stage
from screening.decisions.mine import my_decisions
from screening.decisions.queue import next_item
from screening.decisions.selectors import screening_progress
from screening.decisions.services import ScreeningRefused, decision_record
from screening.models import Decision, ScreeningItem

from .common import ReviewView

STAGE_PARAMETER = OpenApiParameter(
    "stage", str, enum=Stage.screened(), description="title_abstract (the default) or full_text"
)
REFUSED = OpenApiResponse(description="Refused: the sentence says why (e.g. already settled).")


def _query(serializer_class, request: Request) -> dict:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


class Queue(ReviewView):
    """For owners and reviewers, as the screening page."""

    roles = EDITOR_ROLES
    serializer_class = QueueOut
    pagination_class = None

    @extend_schema(summary="Your screening queue: the next reference for you to screen",
                   parameters=[STAGE_PARAMETER])  # fmt: skip
    def get(self, request: Request, slug: str) -> Response:
        review = self.member(slug).review
        stage = _query(StageQuery, request)["stage"]
        item = next_item(review, request.user, stage)
        served = None
        if item is not None:
            served = {
                "reference": item.reference,
                "state": item.state,
                "queue_place": item.queue_place,
            }
        progress = screening_progress(review, request.user, stage)
        return Response(QueueOut({"stage": stage, "next": served, "progress": progress}).data)


def _same(earlier: Decision, data: dict, review) -> bool:
    """Whether an earlier decision of the token is the one asked for now (a form sent twice)."""
    reason = data["reason"]
    return (
        earlier.review_id == review.pk
        and earlier.reference_id == data["reference"]
        and earlier.stage == data["stage"]
        and earlier.verdict == data["verdict"]
        and earlier.reason_id == (reason.pk if reason else None)
        and earlier.note == data["note"].strip()
    )


class Decisions(ReviewView):
    """For owners and reviewers, as the screening page and "My decisions"."""

    roles = EDITOR_ROLES
    serializer_class = MyDecisionOut

    @extend_schema(
        summary="Your decisions at a stage (your live votes, latest first)",
        parameters=[
            STAGE_PARAMETER,
            OpenApiParameter("verdict", str, enum=["include", "exclude", "maybe"]),
            OpenApiParameter("reason", int, description="An exclusion reason's id."),
            OpenApiParameter("q", str, description="Words of the title or abstract."),
        ],
        responses=MyDecisionOut(many=True),
    )
    def get(self, request: Request, slug: str) -> Response:
        review = self.member(slug).review
        query = _query(MyDecisionQuery, request)
        votes = my_decisions(
            review,
            request.user,
            query["stage"],
            verdict=query.get("verdict", ""),
            reason=str(query.get("reason", "")),
            words=query.get("q", ""),
        )
        return self.paged(votes)

    @extend_schema(
        summary="Record your decision on a reference, as the screening page does",
        request=DecisionIn,
        responses={
            201: DecisionRecorded,
            200: OpenApiResponse(DecisionRecorded, description="Sent before: the same token."),
            409: REFUSED,
        },
    )
    def post(self, request: Request, slug: str) -> Response:
        member = self.member(slug)
        review = member.review
        form = DecisionIn(data=request.data, context={"review": review})
        form.is_valid(raise_exception=True)
        data = form.validated_data
        earlier = Decision.objects.filter(reviewer=request.user, token=data["token"]).first()
        if earlier is not None and not _same(earlier, data, review):
            raise ValidationError(
                {
                    "token": [
                        f"This token was sent before with another decision (decision "
                        f"{earlier.pk}): send a new token for a new decision."
                    ]
                }
            )
        try:
            decision = decision_record(
                review=review,
                # Known by its id, as the page knows it: the service's locked item is the check
                # that it is at this stage of this review.
                reference=Reference(pk=data["reference"]),
                stage=data["stage"],
                reviewer=request.user,
                verdict=data["verdict"],
                reason=data["reason"],
                note=data["note"],
                token=data["token"],
                membership=member.membership,
            )
        except ScreeningRefused as refusal:
            return Response({"detail": str(refusal)}, status=status.HTTP_409_CONFLICT)
        decision.reviewer = request.user
        decision.state = (
            ScreeningItem.objects.in_review(review)
            .filter(reference_id=decision.reference_id, stage=decision.stage)
            .values_list("state", flat=True)
            .get()
        )
        answer = status.HTTP_200_OK if earlier is not None else status.HTTP_201_CREATED
        return Response(DecisionRecorded(decision).data, status=answer)
