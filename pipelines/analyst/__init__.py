"""The analyst's layer: views over the loaded tables (views.py) and the offline HTML report (report.py)."""
