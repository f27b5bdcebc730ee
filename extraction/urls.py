app_name = "extraction"

urlpatterns: list = [
    # Studies and their extraction pages (extraction/views.py).
    # Exports and the forest plot (extraction/export_views.py).
]
