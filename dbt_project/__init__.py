"""The dbt project, shipped with the distribution as package data.

Nothing here is Python: being a package lets an installed `mau` (not only a checkout)
find the project's files (mau_warehouse/config.py, DBT_PROJECT_DIR).
"""
