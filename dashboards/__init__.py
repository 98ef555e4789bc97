"""Streamlit dashboards over the published, read-only serving database (`mau dashboard`)."""
