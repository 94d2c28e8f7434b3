"""The export format (tables.yaml) and the data contracts (suites/), installed as the package
data `bcm_analytics.data_contracts` (pyproject.toml maps this folder there), so an installed
bcm finds them through importlib.resources. There is no code here."""
