from django.apps import AppConfig


class GradeConfig(AppConfig):
    name = "grade"
    verbose_name = "GRADE summary of findings"
