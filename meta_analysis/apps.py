from django.apps import AppConfig


class MetaAnalysisConfig(AppConfig):
    name = "meta_analysis"
    verbose_name = "Meta-analysis"
