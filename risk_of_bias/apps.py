from django.apps import AppConfig


class RiskOfBiasConfig(AppConfig):
    name = "risk_of_bias"
    verbose_name = "Risk of bias"
