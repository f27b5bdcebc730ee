"""Bibliographic references. This app knows nothing of reviews: screening records point here."""

from django.db import models


class Reference(models.Model):
    title = models.TextField(blank=True)
    abstract = models.TextField(blank=True)
    # [{"label": "BACKGROUND", "text": "..."}]; `abstract` is their plain join.
    abstract_sections = models.JSONField(default=list, blank=True)
    authors = models.JSONField(default=list, blank=True)  # ["Surname, Given", ...] in order
    journal = models.TextField(blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    volume = models.CharField(max_length=100, blank=True)
    issue = models.CharField(max_length=100, blank=True)
    pages = models.CharField(max_length=100, blank=True)
    pmid = models.CharField("PMID", max_length=20, blank=True)
    pmcid = models.CharField("PMCID", max_length=20, blank=True)
    doi = models.CharField("DOI", max_length=255, blank=True)
    registry_ids = models.JSONField(default=list, blank=True)
    publication_types = models.JSONField(default=list, blank=True)
    mesh_terms = models.JSONField("MeSH terms", default=list, blank=True)
    keywords = models.JSONField(default=list, blank=True)
    language = models.CharField(max_length=50, blank=True)
    urls = models.JSONField(default=list, blank=True)
    raw = models.TextField(blank=True, help_text="The source entry this reference was made from.")
    source_format = models.CharField(max_length=20, blank=True)
    # Normalised keys for duplicate detection (references.duplicates computes them).
    title_key = models.CharField(max_length=255, blank=True)
    first_author_key = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["pmid"], name="reference_pmid"),
            models.Index(fields=["doi"], name="reference_doi"),
            models.Index(fields=["title_key"], name="reference_title_key"),
        ]

    def __str__(self) -> str:
        return self.citation

    @property
    def first_author(self) -> str:
        return self.authors[0] if self.authors else ""

    @property
    def citation(self) -> str:
        """Short form: "Frentzas S et al. 2024. Title" for lists and audit rows."""
        who = self.first_author.split(",")[0] if self.authors else "Anonymous"
        if len(self.authors) > 1:
            who += " et al."
        year = f" {self.year}" if self.year else ""
        title = self.title or "(no title)"
        return f"{who}{year}. {title}"
