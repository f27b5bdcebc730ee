"""The screening app's URLs: each feature package's own, under one namespace ("screening:")
so that names and paths stay as they were before the packages."""

from screening.audit import urls as audit
from screening.decisions import urls as decisions
from screening.identification import urls as identification
from screening.labels import urls as labels
from screening.prisma import urls as prisma
from screening.reference_list import urls as reference_list
from screening.retrieval import urls as retrieval
from screening.reviews import urls as reviews
from screening.searches import urls as searches
from screening.stopping import urls as stopping
from screening.verification import urls as verification

app_name = "screening"
urlpatterns = [
    *reviews.urlpatterns,
    *identification.urlpatterns,
    *searches.urlpatterns,
    *reference_list.urlpatterns,
    *labels.urlpatterns,
    *decisions.urlpatterns,
    *retrieval.urlpatterns,
    *prisma.urlpatterns,
    *stopping.urlpatterns,
    *audit.urlpatterns,
    *verification.urlpatterns,
]
