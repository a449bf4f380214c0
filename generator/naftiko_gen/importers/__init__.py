"""Importers: other API descriptions turned into curated capability documents."""
