"""URLs of the Excel imports (kept apart from arrears.urls while the imports grow)."""

urlpatterns: list = []
