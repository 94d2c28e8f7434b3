"""The report notebooks, installed as the package data `bcm_analytics.notebooks` (pyproject.toml
maps this folder there), so an installed bcm lists and renders them. There is no code here."""
