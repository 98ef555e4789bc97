"""Dagster orchestration of mau-warehouse: one Definitions object (see definitions.py)."""
