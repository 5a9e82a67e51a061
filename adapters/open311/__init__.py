"""The ``open311`` adapter: Open311 GeoReport v2 under ``/open311/v2/``.

``adapter`` (routes, api_key check, lookups), ``request`` (POST arguments -> one report),
``format`` (the spec's XML and JSON documents), ``config`` (``[adapters.open311]``).
"""
